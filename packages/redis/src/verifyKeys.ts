import type { Readable } from 'node:stream';
import { BackupError } from '@backup/core';
import { consumeArtifact } from './consumeArtifact.js';
import { KeysArtifactParser } from './KeysArtifactParser.js';
import { KeysFormatError } from './KeysFormatError.js';
import type { KeysTrailer } from './keysFormat.js';

/** What {@link verifyKeys} found. */
export interface KeysVerification {
  db: number;
  records: number;
  types: Record<string, number>;
  trailer: KeysTrailer;
}

/**
 * Deep check of a keys-mode artifact's plaintext (docs/format.md): header (format and version),
 * every record's base64 fields and DUMP payload footer (CRC64-Jones over the payload, protocols.md
 * 2.3), and the trailer with the right record count as the last line. Reads `plaintext` to its end:
 * a checksum failure of the stored artifact wins over a format error.
 *
 * @throws BackupError `VERIFY_FAILED` naming the line, or the stream's own error.
 */
export async function verifyKeys(plaintext: Readable, name: string): Promise<KeysVerification> {
  const parser = new KeysArtifactParser({ collect: false });
  try {
    await consumeArtifact(
      plaintext,
      (chunk) => void parser.push(chunk),
      (error) => error instanceof KeysFormatError,
    );
    const trailer = parser.end();
    return { db: parser.header!.db, records: parser.records, types: { ...parser.types }, trailer };
  } catch (error) {
    if (error instanceof KeysFormatError) {
      throw new BackupError('VERIFY_FAILED', `${name} is not a valid keys artifact: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
