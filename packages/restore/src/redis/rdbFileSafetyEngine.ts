import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  type ArtifactRecord,
  type ArtifactSink,
  BackupError,
  type BackupUnit,
  type Engine,
  type EngineContext,
} from '@backup/core';
import { INSTANCE_UNIT, REDIS_RDB_MEDIA_TYPE, rdbArtifactName } from '@backup/redis';

/** One RDB file a `--to-file` restore is about to replace. */
export interface RdbFileToSave {
  /** The unit that will be written there (`instance`, `master-<host>-<port>`). */
  unit: string;
  /** Absolute path of the existing file. */
  path: string;
}

/**
 * The safety-backup engine of a `--to-file` restore over existing files: engine name `redis`, one
 * unit per file with the unit name and kind of the restore (`instance`, or `master` for cluster
 * masters) and its bytes as the unit's RDB artifact (`dump.rdb` / `<unit>.rdb`, media type
 * `application/vnd.redis.rdb`), so the safety set is an ordinary Redis set: restoring it with
 * `--to-file` to the same path puts the old file back. Backs the files up as they are (whatever
 * they hold; the Redis engine verifies them when the safety set is verified or restored).
 * `verify` and `restore` are not offered: the job's own engine does both.
 */
export function rdbFileSafetyEngine(files: readonly RdbFileToSave[]): Engine<never> {
  const unsupported = (what: string): never => {
    throw new BackupError('INTERNAL', `The RDB file safety engine does not ${what}; use the redis engine`);
  };
  return {
    name: 'redis',
    async describe(_ctx: EngineContext) {
      return { metadata: { mode: 'file', files: files.map((f) => f.path) } };
    },
    async discover(_ctx: EngineContext): Promise<BackupUnit[]> {
      return files.map((f) => ({
        name: f.unit,
        kind: f.unit === INSTANCE_UNIT ? 'instance' : 'master',
        metadata: { file: f.path },
      }));
    },
    async backup(unit: BackupUnit, sink: ArtifactSink, _ctx: EngineContext) {
      const file = files.find((f) => f.unit === unit.name);
      if (!file) throw new BackupError('INTERNAL', `No file for unit ${unit.name}`);
      // A read error (the file vanished) errors the stream, which fails the safety backup.
      const record = await sink.write({
        name: rdbArtifactName(unit.name),
        unit: unit.name,
        mediaType: REDIS_RDB_MEDIA_TYPE,
        source: createReadStream(file.path),
        metadata: { format: 'rdb', file: file.path },
      });
      return { file: file.path, rdbBytes: record.plaintextBytes };
    },
    async verify(_artifact: ArtifactRecord, plaintext: Readable) {
      plaintext.destroy();
      return unsupported('verify');
    },
    async restore() {
      return unsupported('restore');
    },
  };
}
