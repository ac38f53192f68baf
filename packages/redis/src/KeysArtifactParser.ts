import { StringDecoder } from 'node:string_decoder';
import { checkDumpPayload } from './dumpPayload.js';
import { KeysFormatError } from './KeysFormatError.js';
import {
  type KeysHeader,
  type KeysTrailer,
  REDIS_KEYS_FORMAT,
  REDIS_KEYS_FORMAT_VERSION,
} from './keysFormat.js';

/** A decoded {@link KeysRecord}. */
export interface KeysArtifactRecord {
  key: Buffer;
  dump: Buffer;
  /** Absolute expiry in Unix ms, or undefined. */
  expireAt: number | undefined;
  type: string;
  /** RDB version from the payload footer. */
  rdbVersion: number;
}

/** Options of {@link KeysArtifactParser}. */
export interface KeysArtifactParserOptions {
  /** Check each DUMP payload's CRC64 (verify); default `true`. */
  checkPayloads?: boolean | undefined;
  /** `false` counts records without returning them; default `true`. */
  collect?: boolean | undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Push parser of a keys-mode artifact (see `keysFormat.ts` and docs/format.md): splits UTF-8
 * NDJSON lines across chunks, checks the header, decodes each record (base64 key and DUMP payload,
 * whose footer CRC64 is checked with `checkDumpPayload`), and at {@link end} requires the trailer
 * with a matching record count and nothing after it.
 *
 * @throws KeysFormatError naming the line.
 */
export class KeysArtifactParser {
  private readonly decoder = new StringDecoder('utf8');
  private readonly options: KeysArtifactParserOptions;
  private rest = '';
  private lineNumber = 0;
  private headerLine: KeysHeader | undefined;
  private trailerLine: KeysTrailer | undefined;
  /** Records read so far. */
  records = 0;
  /** Records per type. */
  readonly types: Record<string, number> = {};

  constructor(options: KeysArtifactParserOptions = {}) {
    this.options = options;
  }

  /** The header, once read. */
  get header(): KeysHeader | undefined {
    return this.headerLine;
  }

  push(chunk: Buffer): KeysArtifactRecord[] {
    const text = this.rest + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    const out: KeysArtifactRecord[] = [];
    for (const line of lines) this.line(line, out);
    return out;
  }

  /** Checks the end of the artifact; returns its trailer. */
  end(): KeysTrailer {
    const last = this.rest + this.decoder.end();
    if (last !== '') {
      this.lineNumber++;
      throw new KeysFormatError('the artifact ends without a newline (truncated)', this.lineNumber);
    }
    if (!this.headerLine) throw new KeysFormatError('empty artifact: no header line');
    if (!this.trailerLine) {
      throw new KeysFormatError(
        `no trailer line after ${this.records} records: the export did not complete (truncated)`,
        this.lineNumber,
      );
    }
    return this.trailerLine;
  }

  private line(line: string, out: KeysArtifactRecord[]): void {
    this.lineNumber++;
    if (this.trailerLine) throw new KeysFormatError('data after the trailer line', this.lineNumber);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new KeysFormatError('not a JSON object', this.lineNumber);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new KeysFormatError('not a JSON object', this.lineNumber);
    }
    const object = value as Record<string, unknown>;
    if (!this.headerLine) {
      if (object['format'] !== REDIS_KEYS_FORMAT) {
        throw new KeysFormatError(
          `the first line must be a header with format "${REDIS_KEYS_FORMAT}"`,
          this.lineNumber,
        );
      }
      if (object['version'] !== REDIS_KEYS_FORMAT_VERSION) {
        throw new KeysFormatError(
          `format version ${String(object['version'])} is not supported (this reader knows ${REDIS_KEYS_FORMAT_VERSION})`,
          this.lineNumber,
        );
      }
      if (!Number.isInteger(object['db']))
        throw new KeysFormatError('header without a db number', this.lineNumber);
      this.headerLine = object as unknown as KeysHeader;
      return;
    }
    if (object['end'] === true) {
      if (object['records'] !== this.records) {
        throw new KeysFormatError(
          `the trailer counts ${String(object['records'])} records, the artifact has ${this.records}`,
          this.lineNumber,
        );
      }
      this.trailerLine = object as unknown as KeysTrailer;
      return;
    }
    const key = object['key'];
    const dump = object['dump'];
    const expireAt = object['expireAt'];
    const type = object['type'];
    if (typeof key !== 'string' || !BASE64.test(key))
      throw new KeysFormatError('record without a base64 key', this.lineNumber);
    if (typeof dump !== 'string' || dump === '' || !BASE64.test(dump)) {
      throw new KeysFormatError('record without a base64 dump', this.lineNumber);
    }
    if (expireAt !== undefined && !(Number.isSafeInteger(expireAt) && (expireAt as number) > 0)) {
      throw new KeysFormatError('expireAt must be a positive integer (Unix ms)', this.lineNumber);
    }
    this.records++;
    const typeName = typeof type === 'string' ? type : 'unknown';
    this.types[typeName] = (this.types[typeName] ?? 0) + 1;
    const payload = Buffer.from(dump, 'base64');
    let rdbVersion = 0;
    if (this.options.checkPayloads ?? true) {
      try {
        rdbVersion = checkDumpPayload(payload).rdbVersion;
      } catch (error) {
        throw new KeysFormatError(
          `key ${JSON.stringify(Buffer.from(key, 'base64').toString('utf8').slice(0, 100))}: ${(error as Error).message}`,
          this.lineNumber,
        );
      }
    } else if (payload.length >= 10) {
      rdbVersion = payload.readUInt16LE(payload.length - 10);
    }
    if (this.options.collect ?? true) {
      out.push({
        key: Buffer.from(key, 'base64'),
        dump: payload,
        expireAt: expireAt as number | undefined,
        type: typeName,
        rdbVersion,
      });
    }
  }
}
