import { NEED_MORE, RdbBufferReader } from './RdbBufferReader.js';
import { RdbFormatError } from './RdbFormatError.js';
import { RDB_OPCODE_AUX } from './rdbTypes.js';

/** Version and AUX fields from the start of an RDB file. */
export interface RdbHeader {
  rdbVersion: number;
  /** AUX fields before the first other opcode: `redis-ver`, `redis-bits`, `ctime`, `used-mem`... */
  aux: Record<string, string>;
}

/**
 * Reads the `REDIS%04d` header and the leading AUX fields (`RDB_OPCODE_AUX`: two strings each,
 * protocols.md 2.2) from the first bytes of an RDB file. Stops at the first other opcode or at the
 * end of `head` (so a prefix of a few KiB is enough).
 *
 * @throws RdbFormatError when `head` does not start with the RDB magic and version.
 */
export function readRdbHeader(head: Buffer): RdbHeader {
  if (
    head.length < 9 ||
    head.toString('latin1', 0, 5) !== 'REDIS' ||
    !/^\d{4}$/.test(head.toString('latin1', 5, 9))
  ) {
    throw new RdbFormatError('Not an RDB file: no REDIS<4-digit version> header', 0);
  }
  const rdbVersion = Number(head.toString('latin1', 5, 9));
  const aux: Record<string, string> = {};
  const reader = new RdbBufferReader(head, 9);
  try {
    while (reader.available > 0 && reader.buf[reader.pos] === RDB_OPCODE_AUX) {
      reader.u8();
      const name = reader.readString().toString('utf8');
      aux[name] = reader.readString().toString('utf8');
    }
  } catch (error) {
    if (error !== NEED_MORE) throw error;
  }
  return { rdbVersion, aux };
}
