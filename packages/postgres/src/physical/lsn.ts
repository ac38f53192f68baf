import { BackupError } from '@backup/core';

/**
 * A PostgreSQL write-ahead-log location (`pg_lsn`): a 64-bit byte position in the WAL stream,
 * written `X/Y` with `X` the high and `Y` the low 32 bits in hexadecimal (`0/2000028`). Held as a
 * `bigint` so comparisons and segment arithmetic are exact. Source: PG15 docs "pg_lsn Type".
 */
export type Lsn = bigint;

const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/**
 * Parses `X/Y` (`0/2000028`, `16/B374D848`) into a {@link Lsn}.
 * @throws BackupError `CONFIG_INVALID` naming `what` for anything else.
 */
export function parseLsn(text: string, what = 'LSN'): Lsn {
  const match = LSN_PATTERN.exec(text.trim());
  if (!match) {
    throw new BackupError('CONFIG_INVALID', `${what} "${text}" is not a PostgreSQL LSN like 0/16B3748`);
  }
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Formats a {@link Lsn} as PostgreSQL prints it: upper-case hex, `16/B374D848`. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
