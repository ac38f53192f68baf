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
  it('loads pino-pretty only for a pretty logger, which writes readable lines', () => {
    const loaded = `(await import('node:module')).createRequire(import.meta.url).cache`;
    const [json] = logLines(
      `const l = createLogger({ pretty: false }); l.info({}, 'plain');
       console.error(JSON.stringify(Object.keys(${loaded}).filter((k) => k.includes('pino-pretty'))));`,
    ).slice(-1);
    expect(JSON.parse(json!)).toEqual([]);
    const lines = logLines(
      `const l = createLogger({ pretty: true }); l.info({ job: 'pg' }, 'pretty one');
       await new Promise((r) => setTimeout(r, 50));
       console.error(JSON.stringify(Object.keys(${loaded}).filter((k) => k.includes('pino-pretty')).length));`,
    );
    expect(Number(lines.at(-1))).toBeGreaterThan(0);
    const text = lines.slice(0, -1).join('\n');
    expect(text).toContain('pretty one');
    expect(text).toContain('INFO');
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });
});
