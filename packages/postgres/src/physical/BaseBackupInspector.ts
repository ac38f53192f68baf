import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from '@backup/core';
import { type BackupLabel, parseBackupLabel } from './parseBackupLabel.js';
import { type BackupManifest, parseBackupManifest } from './parseBackupManifest.js';
import { TarParser } from './TarParser.js';

/** What {@link BaseBackupInspector} learned from a base backup tar once it ended. */
export interface BaseBackupFacts {
  label: BackupLabel;
  manifest: BackupManifest;
  /** The cluster's system identifier, from the first 8 bytes of `global/pg_control` (decimal). */
  systemIdentifier: string;
  /** Regular files in the tar (`backup_manifest` included). */
  files: number;
  /** Sum of their sizes in bytes. */
  fileBytes: number;
}

/** Files whose whole content is kept (small: a label, the manifest). */
const CAPTURED = new Set(['backup_label', 'backup_manifest']);

/**
 * A pass-through transform over the tar stream of `pg_basebackup -D - -Ft` that parses it on the
 * way (headers only; content is not copied except for `backup_label`, `backup_manifest` and the
 * first bytes of `global/pg_control`) so the backup records its start/stop LSN, timeline and
 * system identifier without a second read. {@link facts} is available once the stream ended; the
 * transform fails with `SOURCE_FAILED` when the tar is malformed or lacks those files.
 */
export class BaseBackupInspector extends Transform {
  private readonly parser = new TarParser();
  private readonly captured = new Map<string, Buffer[]>();
  private currentPath: string | undefined;
  private controlHead: Buffer[] = [];
  private result: BaseBackupFacts | undefined;
  private files = 0;
  private fileBytes = 0;

  constructor() {
    super({ highWaterMark: 1 << 20 });
  }

  /** The facts; throws `INTERNAL` before the stream ended. */
  get facts(): BaseBackupFacts {
    if (!this.result) throw new BackupError('INTERNAL', 'base backup facts read before the tar ended');
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      for (const event of this.parser.push(chunk)) {
        if (event.kind === 'entry') {
          this.currentPath = event.header.path;
          if (event.header.type === 'file') {
            this.files += 1;
            this.fileBytes += event.header.size;
          }
          if (CAPTURED.has(event.header.path)) this.captured.set(event.header.path, []);
        } else if (event.kind === 'data') {
          const path = this.currentPath;
          if (path !== undefined && CAPTURED.has(path))
            this.captured.get(path)!.push(Buffer.from(event.chunk));
          else if (path === 'global/pg_control' && this.controlHeadBytes() < 8) {
            this.controlHead.push(Buffer.from(event.chunk.subarray(0, 8)));
          }
        } else {
          this.currentPath = undefined;
        }
      }
    } catch (error) {
      callback(asSourceError(error));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.parser.finish();
      const text = (name: string): Buffer => {
        const parts = this.captured.get(name);
        if (!parts) throw new BackupError('SOURCE_FAILED', `The base backup tar has no ${name}`);
        return Buffer.concat(parts);
      };
      const control = Buffer.concat(this.controlHead);
      if (control.length < 8)
        throw new BackupError('SOURCE_FAILED', 'The base backup tar has no global/pg_control');
      this.result = {
        label: parseBackupLabel(text('backup_label').toString('utf8')),
        manifest: parseBackupManifest(text('backup_manifest')),
        systemIdentifier: control.readBigUInt64LE(0).toString(),
        files: this.files,
        fileBytes: this.fileBytes,
      };
      callback();
    } catch (error) {
      callback(asSourceError(error));
    }
  }

  private controlHeadBytes(): number {
    return this.controlHead.reduce((n, b) => n + b.length, 0);
  }
}

function asSourceError(error: unknown): BackupError {
  if (error instanceof BackupError && error.code !== 'VERIFY_FAILED') return error;
  return new BackupError(
    'SOURCE_FAILED',
    `pg_basebackup produced an unusable tar: ${(error as Error).message}`,
    {
      cause: error,
    },
  );
}
