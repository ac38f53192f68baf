/**
 * The RDB format version a Redis release writes and the newest it can load (no downgrade:
 * protocols.md 2.2; 7.0 → 10, 7.2 → 11, 7.4-8.4 → 12, 8.6 → 13, 8.8 → 14 from `src/rdb.h` and
 * `redis/librdb:src/redisver.h`; 3.2 → 7, 4.0 → 8, 5.0-6.2 → 9 from the same `rdb.h` history).
 * Undefined for versions this table does not know (newer releases).
 */
export function rdbVersionOfRedis(version: string): number | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return undefined;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const v = major * 100 + minor;
  if (v < 302) return undefined;
  if (v < 400) return 7;
  if (v < 500) return 8;
  if (v < 700) return 9;
  if (v < 702) return 10;
  if (v < 704) return 11;
  if (v < 806) return 12;
  if (v < 808) return 13;
  if (v < 810) return 14;
  return undefined;
}
