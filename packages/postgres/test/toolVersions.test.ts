import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBackupError } from '@backup/core';
import { findPostgresBinDir } from '@backup/test-services';
import { describe, expect, it } from 'vitest';
import {
  checkPgDumpVersion,
  checkPgRestoreVersion,
  parseToolVersion,
  readToolVersion,
  resolveBinDir,
  serverMajor,
} from '../src/index.js';

describe('client tool versions', () => {
  it('parses pg_dump --version lines', () => {
    expect(parseToolVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n')).toEqual({
      text: 'pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)',
      version: '15.20',
      major: 15,
    });
    expect(parseToolVersion('pg_restore (PostgreSQL) 9.6.24')).toMatchObject({
      version: '9.6.24',
      major: 9.6,
    });
    expect(parseToolVersion('pg_dump (PostgreSQL) 17beta1')).toMatchObject({ major: 17 });
    expect(parseToolVersion('mysqldump  Ver 10.19')).toBeUndefined();
  });

  it('computes server majors from server_version_num', () => {
    expect(serverMajor(150020)).toBe(15);
    expect(serverMajor(170000)).toBe(17);
    expect(serverMajor(90624)).toBe(9.6);
  });

  it('refuses a pg_dump older than the server, naming the package to install', () => {
    const pg15 = parseToolVersion('pg_dump (PostgreSQL) 15.20')!;
    expect(() => checkPgDumpVersion(pg15, 150020, '/usr/lib/postgresql/15/bin')).not.toThrow();
    expect(() => checkPgDumpVersion(pg15, 90624, 'PATH')).not.toThrow();
    let error: unknown;
    try {
      checkPgDumpVersion(pg15, 160004, '/usr/lib/postgresql/15/bin');
    } catch (e) {
      error = e;
    }
    expect(isBackupError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(
      /pg_dump 15\.20 \(\/usr\/lib\/postgresql\/15\/bin\) cannot dump a PostgreSQL 16 server.*postgresql-client-16/,
    );
    expect(() => checkPgRestoreVersion(pg15, 17, 'PATH')).toThrow(/postgresql-client-17/);
    expect(() => checkPgRestoreVersion(pg15, 15, 'PATH')).not.toThrow();
    expect(() => checkPgRestoreVersion(pg15, undefined, 'PATH')).not.toThrow();
  });

  it('reads the installed pg_dump version', async () => {
    const version = await readToolVersion(join(findPostgresBinDir(), 'pg_dump'));
    expect(version.major).toBe(Number(findPostgresBinDir().split('/').at(-2)));
  });

  it('picks the newest /usr/lib/postgresql/<major>/bin holding pg_dump', () => {
    const base = mkdtempSync(join(tmpdir(), 'pg-bindirs-'));
    try {
      for (const [major, hasDump] of [
        ['9.6', true],
        ['13', true],
        ['16', true],
        ['17', false],
      ] as const) {
        mkdirSync(join(base, major, 'bin'), { recursive: true });
        if (hasDump) writeFileSync(join(base, major, 'bin', 'pg_dump'), '');
      }
      expect(resolveBinDir(undefined, base)).toBe(join(base, '16', 'bin'));
      expect(resolveBinDir('/opt/pg/bin', base)).toBe('/opt/pg/bin');
      expect(resolveBinDir(undefined, join(base, 'missing'))).toBeUndefined();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
