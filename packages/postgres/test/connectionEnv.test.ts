import { isBackupError } from '@backup/core';
import { describe, expect, it } from 'vitest';
import { connectionEnv, dbnameArg, dumpArtifactName } from '../src/index.js';

describe('connectionEnv', () => {
  it('maps a URL to libpq variables, decoding percent-encoded parts', () => {
    const env = connectionEnv(
      'postgres://back%40up:p%40ss%2Fw%3Ard@db.example:6543/out%3Dline?sslmode=verify-full&sslrootcert=/ca.pem&application_name=nightly',
      {
        PATH: '/bin',
        PGUSER: 'ignored',
      },
    );
    expect(env).toEqual({
      PATH: '/bin',
      PGHOST: 'db.example',
      PGPORT: '6543',
      PGUSER: 'back@up',
      PGPASSWORD: 'p@ss/w:rd',
      PGDATABASE: 'out=line',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/ca.pem',
      PGAPPNAME: 'nightly',
    });
  });

  it('keeps what the URL leaves out from env (libpq precedence), and copies env without a URL', () => {
    const base = { PGPASSWORD: 'from-env', PGSSLMODE: 'require', PGHOST: 'old' };
    expect(connectionEnv('postgresql://app@new/db', base)).toEqual({
      PGPASSWORD: 'from-env',
      PGSSLMODE: 'require',
      PGHOST: 'new',
      PGUSER: 'app',
      PGDATABASE: 'db',
    });
    const copy = connectionEnv(undefined, base);
    expect(copy).toEqual(base);
    expect(copy).not.toBe(base);
  });

  it('takes a Unix socket directory from ?host=', () => {
    expect(connectionEnv('postgres:///outline?host=/var/run/postgresql', {})).toEqual({
      PGHOST: '/var/run/postgresql',
      PGDATABASE: 'outline',
    });
  });

  it('rejects unknown parameters and non-PostgreSQL URLs without echoing the URL', () => {
    const unknown = (() => {
      try {
        connectionEnv('postgres://u:hunter2@h/db?sslmod=require', {});
      } catch (e) {
        return e;
      }
    })();
    expect(isBackupError(unknown, 'CONFIG_INVALID')).toBe(true);
    expect((unknown as Error).message).toMatch(/unknown parameter "sslmod"/);
    expect((unknown as Error).message).not.toContain('hunter2');
    expect(() => connectionEnv('mysql://u:hunter2@h/db', {})).toThrow(/postgres:\/\//);
    try {
      connectionEnv('mysql://u:hunter2@h/db', {});
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
  });
});

describe('argv and artifact names', () => {
  it('passes plain names as they are and names libpq would expand as a quoted conninfo', () => {
    expect(dbnameArg('outline')).toBe('outline');
    expect(dbnameArg("a=b 'c' \\d")).toBe("dbname='a=b \\'c\\' \\\\d'");
    expect(dbnameArg('postgres://evil')).toBe("dbname='postgres://evil'");
  });

  it('names dumps <db>.dump with unsafe characters percent-encoded', () => {
    expect(dumpArtifactName('outline')).toBe('outline.dump');
    expect(dumpArtifactName('a/b c')).toBe('a%2Fb%20c.dump');
    expect(dumpArtifactName('дб')).toBe('%D0%B4%D0%B1.dump');
  });
});
