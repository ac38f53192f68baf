// The Prometheus alert rules (apps/cronjob/deploy/base/alerts): `promtool check rules` and
// `promtool test rules` decide (their exit codes), plus two mutation checks showing that the unit
// tests really discriminate: with every alert made silent they must fail for every alert, and with
// every alert made to fire always they must fail for every alert too.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const ALERTS_DIR = fileURLToPath(new URL('../deploy/base/alerts', import.meta.url));
const RULES = join(ALERTS_DIR, 'backup-rules.yaml');
const TESTS = join(ALERTS_DIR, 'tests/backup-rules.test.yaml');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RulesFile {
  groups: { name: string; rules: Rule[] }[];
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[] | null;
}
interface TestFile {
  rule_files: string[];
  tests: { alert_rule_test?: AlertTest[] }[];
}

function promtool(...args: string[]) {
  const result = spawnSync('promtool', args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error('promtool is not installed (Debian package prometheus; scripts/setup.sh installs it)');
    }
    throw result.error;
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const rules = parse(readFileSync(RULES, 'utf8')) as RulesFile;
const alertNames = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** promtool's unit tests run against a copy of the rules with every expression replaced. */
function testWithExpr(expr: (rule: Rule) => string) {
  const dir = mkdtempSync(join(tmpdir(), 'backup-alerts-'));
  scratch.push(dir);
  cpSync(join(ALERTS_DIR, 'tests'), join(dir, 'tests'), { recursive: true });
  const mutated: RulesFile = {
    groups: rules.groups.map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, expr: expr(r) })) })),
  };
  writeFileSync(join(dir, 'backup-rules.yaml'), stringify(mutated));
  return promtool('test', 'rules', join(dir, 'tests/backup-rules.test.yaml'));
}

/** Alert names promtool reports as failed (`alertname: X, time: ...`). */
const failedAlerts = (output: string) =>
  new Set([...output.matchAll(/alertname: (\w+), time:/g)].map((m) => m[1]));

describe('backup alert rules (promtool)', () => {
  it('promtool check rules accepts the rules file', () => {
    const { status, output } = promtool('check', 'rules', RULES);
    expect(status, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${alertNames.length} rules found`);
  });

  it('has the alerts the deployment documents, with the seeds’ 48 h threshold', () => {
    expect(alertNames).toEqual([
      'BackupFailed',
      'BackupTooOld',
      'BackupVerifyFailed',
      'BackupNeverSucceeded',
      'BackupMetricsAbsent',
      'BackupSizeAnomaly',
    ]);
    const tooOld = rules.groups[0]!.rules.find((r) => r.alert === 'BackupTooOld')!;
    expect(tooOld.expr).toBe('time() - backup_last_success_timestamp_seconds > 48 * 3600');
    const docs = readFileSync(fileURLToPath(new URL('../../../docs/deployment.md', import.meta.url)), 'utf8');
    for (const name of alertNames)
      expect(docs, `docs/deployment.md explains ${name}`).toContain(`### ${name}`);
  });

  it('unit tests show every alert both firing and quiet', () => {
    const file = parse(readFileSync(TESTS, 'utf8')) as TestFile;
    expect(file.rule_files).toEqual(['../backup-rules.yaml']);
    const cases = file.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of alertNames) {
      const mine = cases.filter((c) => c.alertname === name);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${name}: a case where it fires`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${name}: a case where it stays quiet`,
      ).toBe(true);
    }
  });

  it('promtool test rules passes (failed backup, success 49 h ago, verify failed fire; healthy jobs stay quiet)', () => {
    const { status, output } = promtool('test', 'rules', TESTS);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('the unit tests fail for every alert when the alerts never fire', () => {
    const { status, output } = testWithExpr(() => 'vector(1) == 0');
    expect(status, output).not.toBe(0);
    expect([...failedAlerts(output)].sort()).toEqual([...alertNames].sort());
  });

  it('the unit tests fail for every alert when the alerts always fire', () => {
    const { status, output } = testWithExpr(() => 'vector(1)');
    expect(status, output).not.toBe(0);
    expect([...failedAlerts(output)].sort()).toEqual([...alertNames].sort());
  });
});
