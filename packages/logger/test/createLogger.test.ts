import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs createLogger in a child so its stderr (fd 2) can be read as the process's real output. */
function logLines(code: string): string[] {
  const script = `import { createLogger } from '${new URL('../src/createLogger.ts', import.meta.url).href}';\n${code}`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return child.stderr.trim().split('\n').filter(Boolean);
}

describe('createLogger', () => {
  it('writes JSON lines to stderr with the app name', () => {
    const [line] = logLines(
      `createLogger({ app: 'backup-cronjob', pretty: false }).info({ job: 'pg' }, 'backup started');`,
    );
    const parsed = JSON.parse(line!);
    expect(parsed).toMatchObject({ app: 'backup-cronjob', job: 'pg', msg: 'backup started', level: 30 });
  });

  it('redacts secrets wherever they appear', () => {
    const [line] = logLines(
      `createLogger({ pretty: false }).info({ password: 'p1', url: 'postgres://u:p2@h/db', env: { PGPASSWORD: 'p3' }, s3: { secretAccessKey: 'p4' } }, 'x');`,
    );
    for (const secret of ['p1', 'p2', 'p3', 'p4']) expect(line).not.toContain(`"${secret}`);
    expect(line).not.toContain('u:p2@');
    expect(JSON.parse(line!).password).toBe('[redacted]');
  });

  it('honours LOG_LEVEL', () => {
    const lines = logLines(
      `const l = createLogger({ pretty: false, env: { LOG_LEVEL: 'warn' } }); l.info({}, 'quiet'); l.warn({}, 'loud');`,
    );
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).msg).toBe('loud');
  });
});
