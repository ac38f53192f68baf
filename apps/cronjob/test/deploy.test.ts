// The Kubernetes manifests (apps/cronjob/deploy), the Dockerfile and .dockerignore.
//
// Renders the kustomize base, the garage overlay and the overlay with every engine component enabled
// through `kubectl kustomize`, validates each object against the Kubernetes / Prometheus Operator
// schemas (kubernetes-models), and checks the invariants the deployment promises: the seeds'
// staggered UTC schedules, Forbid, a non-root read-only pod, Secrets referenced (never inlined),
// memory limits, the config accepted by @backup/config, alerts identical in both files.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interpolateEnv, parseConfig } from '@backup/config';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const DEPLOY_DIR = join(APP_DIR, 'deploy');

/** What a rendered object looks like to these tests (the models validate the full shape). */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** A syntactically valid age recipient (public key; its identity was never kept). */
const TEST_RECIPIENT = 'age1f8gtrvdxz7kk923r69nu7ezykumm4klfrkz8z3wkqdz90zq7dgtsutx8hd';

/** The seeds' schedules (UTC): CronJob name -> cron expression. */
const SCHEDULES: Record<string, string> = {
  'postgresql-backup': '0 2 * * *',
  'qdrant-backup': '30 2 * * *',
  'redis-backup': '0 3 * * *',
  'neo4j-backup': '30 3 * * *',
};

/** Every kind the manifests may contain, with the model that validates it. */
const MODELS: Record<string, (obj: K8sObject) => { validate(): void }> = {
  'batch/v1/CronJob': (obj) => new CronJob(obj as never),
  'v1/ConfigMap': (obj) => new ConfigMap(obj as never),
  'v1/ServiceAccount': (obj) => new ServiceAccount(obj as never),
  'monitoring.coreos.com/v1/PrometheusRule': (obj) => new PrometheusRule(obj as never),
};

function kustomize(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('kubectl is not installed: these tests render the manifests with it');
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS() as K8sObject;
  });
}

/**
 * The garage overlay with its commented `components:` enabled, built from a copy in a temporary
 * directory: exactly what a user does to switch the other engines on, so the components are
 * rendered and checked like the active CronJob.
 */
function kustomizeAllEngines(): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'backup-kustomize-'));
  try {
    cpSync(join(DEPLOY_DIR, 'overlays/garage'), dir, { recursive: true });
    const rel = relative(dir, DEPLOY_DIR);
    const file = join(dir, 'kustomization.yaml');
    const text = readFileSync(file, 'utf8')
      .replace('- ../../base', `- ${rel}/base`)
      .replace(/^# components:$/m, 'components:')
      .replace(/^# {3}- \.\.\/\.\.\/components\/([a-z0-9]+).*$/gm, `  - ${rel}/components/$1`);
    expect(text).toMatch(/^components:\n(?: {2}- .+\n){3}/m);
    writeFileSync(file, text);
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

/** Bytes of a Kubernetes quantity such as 256Mi, 1Gi, 500M. */
function bytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!m) throw new Error(`unsupported quantity ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? unit[m[2] as keyof typeof unit] : 1);
}

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked structurally after validation
type Any = any;

/** The backup.yaml of a rendered set, interpolated with test values and validated by @backup/config. */
function renderedConfig(objects: K8sObject[]) {
  const cronJob = named(objects, 'CronJob', 'postgresql-backup') as Any;
  const volume = cronJob.spec.jobTemplate.spec.template.spec.volumes.find((v: Any) => v.name === 'config');
  const configMap = named(objects, 'ConfigMap', volume.configMap.name) as Any;
  expect(configMap, `ConfigMap ${volume.configMap.name}`).toBeDefined();
  const raw = parse(configMap.data['backup.yaml']);
  const env = { BACKUP_AGE_RECIPIENT: TEST_RECIPIENT, AWS_REGION: 'eu-west-1' };
  const interpolated = interpolateEnv(raw, env) as Any;
  return { raw, interpolated, config: parseConfig(interpolated, 'backup.yaml') };
}

/** Checks every invariant of the backup CronJobs in a rendered set. */
function checkCronJobs(objects: K8sObject[]) {
  const cronJobs = byKind(objects, 'CronJob') as Any[];
  expect(cronJobs.length).toBeGreaterThan(0);
  for (const cj of cronJobs) {
    const name: string = cj.metadata.name;
    const where = `CronJob ${name}`;
    const job = cj.spec.jobTemplate.spec;
    const pod = job.template.spec;

    // Schedules: the seeds' staggered slots, in UTC whatever the controller's time zone.
    expect(SCHEDULES[name], `${where}: unexpected CronJob`).toBeDefined();
    expect(cj.spec.schedule, where).toBe(SCHEDULES[name]);
    expect(cj.spec.timeZone, where).toBe('Etc/UTC');
    expect(cj.spec.concurrencyPolicy, where).toBe('Forbid');
    expect(cj.spec.startingDeadlineSeconds, where).toBeGreaterThan(0);
    expect(cj.spec.successfulJobsHistoryLimit, where).toBeGreaterThanOrEqual(1);
    expect(cj.spec.failedJobsHistoryLimit, where).toBeGreaterThanOrEqual(1);
    expect(cj.spec.suspend ?? false, where).toBe(false);
    expect(job.backoffLimit, where).toBeGreaterThanOrEqual(0);
    expect(job.backoffLimit, where).toBeLessThanOrEqual(3);
    expect(job.activeDeadlineSeconds, where).toBeGreaterThan(0);
    expect(job.activeDeadlineSeconds, where).toBeLessThan(24 * 3600);
    expect(pod.restartPolicy, where).toBe('Never');
    expect(pod.terminationGracePeriodSeconds, where).toBeGreaterThanOrEqual(60);

    // Labels: `kubectl get jobs -l app.kubernetes.io/component=backup` (seeds) finds the Jobs and pods.
    for (const meta of [cj.metadata, cj.spec.jobTemplate.metadata, job.template.metadata]) {
      expect(meta.labels, where).toMatchObject({
        'app.kubernetes.io/name': 'backup',
        'app.kubernetes.io/component': 'backup',
      });
    }

    // No Kubernetes API access.
    expect(pod.automountServiceAccountToken, where).toBe(false);
    const sa = named(objects, 'ServiceAccount', pod.serviceAccountName) as Any;
    expect(sa, `${where}: ServiceAccount ${pod.serviceAccountName}`).toBeDefined();
    expect(sa.automountServiceAccountToken).toBe(false);

    // Non-root, read-only, no privileges.
    expect(pod.securityContext, where).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.hostNetwork ?? false, where).toBe(false);
    expect(pod.hostPID ?? false, where).toBe(false);
    expect(pod.containers).toHaveLength(1);
    const [c] = pod.containers;
    expect(c.securityContext, where).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.securityContext.privileged ?? false, where).toBe(false);
    expect(c.securityContext.capabilities.add ?? [], where).toEqual([]);
    if (c.securityContext.runAsUser !== undefined) expect(c.securityContext.runAsUser).toBe(10001);
    expect(c.securityContext.runAsNonRoot ?? true, where).toBe(true);

    // The only writable path is an emptyDir at /tmp; the config is a read-only ConfigMap mount.
    const mounts = Object.fromEntries(c.volumeMounts.map((m: Any) => [m.mountPath, m]));
    const volumes = Object.fromEntries(pod.volumes.map((v: Any) => [v.name, v]));
    expect(volumes[mounts['/tmp'].name].emptyDir, `${where}: /tmp`).toBeDefined();
    expect(mounts['/etc/backup'].readOnly, where).toBe(true);
    const configVolume = volumes[mounts['/etc/backup'].name].configMap;
    const configMap = named(objects, 'ConfigMap', configVolume.name) as Any;
    expect(configMap, `${where}: ConfigMap ${configVolume.name} is not in the output`).toBeDefined();
    expect(Object.keys(configMap.data)).toContain('backup.yaml');

    // Resources: bounded memory (the pipeline needs ~150 MiB), requests <= limits.
    const { requests, limits } = c.resources;
    expect(limits.memory, where).toBeDefined();
    expect(bytes(limits.memory)).toBeGreaterThanOrEqual(bytes('192Mi'));
    expect(bytes(limits.memory)).toBeLessThanOrEqual(bytes('512Mi'));
    expect(bytes(requests.memory)).toBeLessThanOrEqual(bytes(limits.memory));
    expect(requests.cpu, where).toBeDefined();

    // The image runs `backup-cronjob --job <name>` with a pinned tag.
    expect(c.image, where).toMatch(/^[a-z0-9./-]*backup-cronjob:[\w.-]+$/);
    expect(c.image, where).not.toMatch(/:latest$/);
    expect(c.command, `${where}: the image's ENTRYPOINT (tini) must not be overridden`).toBeUndefined();
    expect(c.args, where).toEqual(['--job', name.replace(/-backup$/, '')]);

    // Environment: config path, non-secret values from the shared ConfigMap, secrets by reference.
    const env = Object.fromEntries(c.env.map((e: Any) => [e.name, e]));
    expect(env['BACKUP_CONFIG'].value).toBe(`/etc/backup/${configVolume.items?.[0]?.path ?? 'backup.yaml'}`);
    for (const e of c.env as Any[]) {
      if (/PASSWORD|SECRET|ACCESS_KEY|TOKEN|API_KEY|RECIPIENT|USER/.test(e.name)) {
        expect(e.value, `${where}: ${e.name} must come from a Secret, not a literal`).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name, `${where}: ${e.name}`).toBeTruthy();
      }
    }
    expect(env['AWS_ACCESS_KEY_ID'].valueFrom.secretKeyRef).toMatchObject({
      name: 'backup-s3-credentials',
      key: 'AWS_ACCESS_KEY_ID',
    });
    expect(env['AWS_SECRET_ACCESS_KEY'].valueFrom.secretKeyRef).toMatchObject({
      name: 'backup-s3-credentials',
      key: 'AWS_SECRET_ACCESS_KEY',
    });
    expect(env['BACKUP_AGE_RECIPIENT'].valueFrom.secretKeyRef).toMatchObject({
      name: 'backup-age-recipients',
    });
    for (const from of c.envFrom ?? []) {
      expect(
        from.secretRef,
        `${where}: envFrom a Secret imports unknown keys; reference each one`,
      ).toBeUndefined();
      const cm = named(objects, 'ConfigMap', from.configMapRef.name) as Any;
      expect(cm, `${where}: ConfigMap ${from.configMapRef.name} is not in the output`).toBeDefined();
      for (const key of Object.keys(cm.data)) expect(key).not.toMatch(/PASSWORD|SECRET|TOKEN|API_KEY/);
      expect(cm.data['BACKUP_PUSHGATEWAY_URL']).toMatch(/^https?:\/\/[^@]+$/);
    }
  }
}

/** No Secret objects and nothing that looks like a credential anywhere in the rendered text. */
function checkNoSecrets(objects: K8sObject[]) {
  expect(byKind(objects, 'Secret')).toEqual([]);
  const text = JSON.stringify(objects);
  expect(text).not.toMatch(/AGE-SECRET-KEY-/i);
  expect(text).not.toMatch(/AKIA[0-9A-Z]{16}/); // AWS access key id
  expect(text).not.toMatch(/GK[0-9a-f]{24}/); // Garage key id
  expect(text).not.toMatch(/[a-z][a-z0-9+.-]*:\/\/[^/\s:@"]+:[^/\s@"]+@/i); // URL with user:password@
}

function checkValid(objects: K8sObject[]) {
  for (const obj of objects) {
    const model = MODELS[`${obj.apiVersion}/${obj.kind}`];
    expect(model, `no model for ${obj.apiVersion} ${obj.kind}: add one or drop the object`).toBeDefined();
    expect(() => model!(obj).validate(), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
  }
}

const rulesFile = () => parse(readFileSync(join(DEPLOY_DIR, 'base/alerts/backup-rules.yaml'), 'utf8'));

describe('kustomize base (apps/cronjob/deploy/base)', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = kustomize(join(DEPLOY_DIR, 'base'));
  });

  it('renders only valid Kubernetes / Prometheus Operator objects', () => {
    // backup-config and backup-env carry a content hash, so a changed config reaches the next run.
    const names = objects.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '-<hash>')}`);
    expect(names.sort()).toEqual([
      'ConfigMap/backup-config-<hash>',
      'ConfigMap/backup-env-<hash>',
      'ConfigMap/backup-grafana-dashboard',
      'CronJob/postgresql-backup',
      'PrometheusRule/backup-alerts',
      'ServiceAccount/backup',
    ]);
    checkValid(objects);
  });

  it('ships only the PostgreSQL CronJob active (the other engines do not exist yet)', () => {
    expect(byKind(objects, 'CronJob').map((o) => o.metadata.name)).toEqual(['postgresql-backup']);
  });

  it('runs the PostgreSQL backup at 02:00 UTC as a non-root, read-only, memory-limited pod', () => {
    checkCronJobs(objects);
    const cj = named(objects, 'CronJob', 'postgresql-backup') as Any;
    const c = cj.spec.jobTemplate.spec.template.spec.containers[0];
    expect(cj.spec.schedule).toBe('0 2 * * *');
    expect(c.resources.limits.memory).toBe('256Mi');
    const env = Object.fromEntries(c.env.map((e: Any) => [e.name, e]));
    expect(env['PGPASSWORD'].valueFrom.secretKeyRef.name).toBe('postgresql-credentials');
    expect(env['PGUSER'].valueFrom.secretKeyRef.name).toBe('postgresql-credentials');
  });

  it('leaves the namespace to the overlays', () => {
    for (const o of objects) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBeUndefined();
  });

  it('inlines no secret', () => {
    checkNoSecrets(objects);
  });

  it('has a config that @backup/config accepts, with every CronJob job in it and age recipients only', () => {
    const { raw, interpolated, config } = renderedConfig(objects);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax
    expect(raw.encryption.recipients).toEqual(['${BACKUP_AGE_RECIPIENT}']);
    expect(interpolated.encryption.recipients).toEqual([TEST_RECIPIENT]);
    expect(JSON.stringify(raw)).not.toMatch(/identit|AGE-SECRET-KEY/i);
    const jobs = config.jobs.map((j) => j.name);
    for (const cj of byKind(objects, 'CronJob') as Any[]) {
      expect(jobs).toContain(cj.spec.jobTemplate.spec.template.spec.containers[0].args[1]);
    }
    expect(config.jobs.map((j) => j.engine)).toEqual(['postgres']);
  });

  it('embeds exactly the plain rules file in the PrometheusRule', () => {
    const rule = named(objects, 'PrometheusRule', 'backup-alerts') as Any;
    expect(rule.spec.groups).toEqual(rulesFile().groups);
    const alerts = rule.spec.groups.flatMap((g: Any) => g.rules.map((r: Any) => r.alert));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'BackupFailed',
        'BackupTooOld',
        'BackupVerifyFailed',
        'BackupNeverSucceeded',
        'BackupMetricsAbsent',
        'BackupSizeAnomaly',
      ]),
    );
    const expr = (name: string) => rule.spec.groups[0].rules.find((r: Any) => r.alert === name).expr;
    expect(expr('BackupFailed')).toBe('backup_status == 0');
    expect(expr('BackupTooOld')).toBe('time() - backup_last_success_timestamp_seconds > 48 * 3600');
    expect(expr('BackupVerifyFailed')).toBe('backup_verify_status == 0');
    for (const r of rule.spec.groups[0].rules) {
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.annotations.summary).toBeTruthy();
      expect(r.annotations.description).toBeTruthy();
    }
  });

  it('ships the Grafana dashboard as a sidecar ConfigMap identical to the JSON file', () => {
    const cm = named(objects, 'ConfigMap', 'backup-grafana-dashboard') as Any;
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    const file = JSON.parse(readFileSync(join(DEPLOY_DIR, 'base/grafana/backup-dashboard.json'), 'utf8'));
    expect(JSON.parse(cm.data['backup-dashboard.json'])).toEqual(file);
    expect(file.uid).toBe('backup-overview');
    const panels = file.panels as Any[];
    const exprs = (title: string) =>
      panels
        .find((p) => p.title === title)
        .targets.map((t: Any) => t.expr as string)
        .join('\n');
    expect(exprs('Time since last success')).toMatch(/time\(\) - .*backup_last_success_timestamp_seconds/);
    expect(exprs('Last run')).toContain('backup_status');
    expect(exprs('Success rate')).toContain('backup_status');
    expect(exprs('Last verification')).toContain('backup_verify_status');
    expect(exprs('Backup size per unit')).toContain('backup_size_bytes');
    expect(exprs('Duration')).toContain('backup_duration_seconds');
    for (const p of panels) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${variable} syntax
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets) expect(t.expr, p.title).toContain('job=~"$job"');
    }
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('garage overlay (apps/cronjob/deploy/overlays/garage)', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = kustomize(join(DEPLOY_DIR, 'overlays/garage'));
  });

  it('renders valid objects, all in namespace ai-platform', () => {
    checkValid(objects);
    expect(objects.length).toBe(6);
    for (const o of objects) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('ai-platform');
  });

  it('keeps the CronJob invariants and the 02:00 UTC PostgreSQL slot', () => {
    checkCronJobs(objects);
    expect(byKind(objects, 'CronJob').map((o) => o.metadata.name)).toEqual(['postgresql-backup']);
    const cj = named(objects, 'CronJob', 'postgresql-backup') as Any;
    expect(cj.spec.schedule).toBe('0 2 * * *');
    expect(cj.spec.timeZone).toBe('Etc/UTC');
  });

  it("targets Garage's endpoint, bucket backrest, prefix agentic", () => {
    const { config } = renderedConfig(objects);
    expect(config.storage).toMatchObject({
      type: 's3',
      bucket: 'backrest',
      prefix: 'agentic',
      endpoint: 'http://garage.storage.svc:3900',
      region: 'garage',
      forcePathStyle: true,
    });
    expect(config.jobs.map((j) => [j.name, j.engine])).toEqual([['postgresql', 'postgres']]);
  });

  it('points the pods at the PostgreSQL service and the Pushgateway of the cluster', () => {
    const cj = named(objects, 'CronJob', 'postgresql-backup') as Any;
    const envFrom = cj.spec.jobTemplate.spec.template.spec.containers[0].envFrom[0].configMapRef.name;
    const env = (named(objects, 'ConfigMap', envFrom) as Any).data;
    expect(env.PGHOST).toBe('postgresql.ai-platform.svc');
    expect(env.BACKUP_PUSHGATEWAY_URL).toMatch(/^http:\/\/[a-z0-9.-]+\.svc:9091$/);
  });

  it('inlines no secret', () => {
    checkNoSecrets(objects);
  });
});

describe('engine components (apps/cronjob/deploy/components), enabled as the overlay explains', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = kustomizeAllEngines();
  });

  it('adds the qdrant, redis and neo4j CronJobs at 02:30, 03:00, 03:30 UTC with the same invariants', () => {
    checkValid(objects);
    checkCronJobs(objects);
    const schedules = Object.fromEntries(
      (byKind(objects, 'CronJob') as Any[]).map((cj) => [cj.metadata.name, cj.spec.schedule]),
    );
    expect(schedules).toEqual(SCHEDULES);
    for (const o of objects) expect(o.metadata.namespace).toBe('ai-platform');
  });

  it('gives each engine its connection settings without inlining secrets', () => {
    checkNoSecrets(objects);
    const env = (byKind(objects, 'ConfigMap') as Any[]).find((cm) =>
      cm.metadata.name.startsWith('backup-env-'),
    );
    expect(env.data).toMatchObject({
      PGHOST: 'postgresql.ai-platform.svc',
      QDRANT_URL: expect.stringMatching(/^http:\/\//),
      REDIS_URL: expect.stringMatching(/^redis:\/\//),
      NEO4J_URI: expect.stringMatching(/^neo4j:\/\//),
    });
  });

  it('differs from the PostgreSQL CronJob only in name, schedule, job and engine credentials', () => {
    const strip = (cj: Any) => {
      const copy = structuredClone(cj);
      const pod = copy.spec.jobTemplate.spec.template.spec;
      delete copy.metadata;
      delete copy.spec.schedule;
      delete copy.spec.jobTemplate.metadata.labels['app.kubernetes.io/instance'];
      delete pod.containers[0].args;
      delete pod.containers[0].env;
      delete copy.spec.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/instance'];
      return copy;
    };
    const pg = strip(named(objects, 'CronJob', 'postgresql-backup'));
    for (const name of ['qdrant-backup', 'redis-backup', 'neo4j-backup']) {
      expect(strip(named(objects, 'CronJob', name)), name).toEqual(pg);
    }
    const common = ['BACKUP_CONFIG', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'BACKUP_AGE_RECIPIENT'];
    for (const cj of byKind(objects, 'CronJob') as Any[]) {
      const names = cj.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: Any) => e.name);
      expect(names, cj.metadata.name).toEqual(expect.arrayContaining(common));
    }
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(APP_DIR, 'Dockerfile'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(APP_DIR, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };

  it('builds on node:24-slim and runs on node:24-slim', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const nodeVersion = /^ARG NODE_VERSION=(\d+)$/m.exec(dockerfile)?.[1];
    expect(nodeVersion).toBe('24');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's ${ARG} syntax
    for (const from of froms) expect(from).toBe('node:${NODE_VERSION}-slim');
  });

  it('installs the pinned pnpm, a frozen lockfile and a pruned production deploy', () => {
    expect(dockerfile).toContain('packageManager');
    expect(dockerfile).toMatch(/npm install --global[\s\S]{0,200}?"pnpm@\$\(node -p [^\n]*packageManager/);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile/);
    expect(dockerfile).toMatch(/turbo run build --filter=@backup\/cronjob\.\.\./);
    expect(dockerfile).toMatch(/pnpm --filter=@backup\/cronjob deploy --prod --legacy [^\n]*\/out\b/);
  });

  it('runs the package bin under tini as uid 10001, the uid the CronJobs require', () => {
    expect(pkg.bin['backup-cronjob']).toBe('./dist/bin.js');
    expect(dockerfile).toMatch(
      /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "--max-semi-space-size=1", "\/app\/dist\/bin\.js"\]$/m,
    );
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production/m);
    expect(dockerfile).toMatch(/org\.opencontainers\.image\.source/);
  });

  it('installs postgresql-client from PGDG (a recent major), zstd, age and tini', () => {
    expect(/^ARG PG_MAJOR=(\d+)$/m.exec(dockerfile)?.[1]).toBe('17');
    expect(dockerfile).toContain('apt.postgresql.org');
    expect(dockerfile).toMatch(/postgresql-client-\$\{PG_MAJOR\}/);
    for (const p of ['zstd', 'age', 'tini']) expect(dockerfile).toMatch(new RegExp(`\\s${p}(\\s|\\\\)`));
  });

  it('keeps .dockerignore from sending node_modules, builds and secrets but not the sources', () => {
    const ignore = readFileSync(join(REPO_DIR, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['**/node_modules', '**/dist', '.git', '**/.env']) expect(ignore).toContain(p);
    for (const p of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'apps', 'packages']) {
      expect(ignore).not.toContain(p);
    }
  });
});
