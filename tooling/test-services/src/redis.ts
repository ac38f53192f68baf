import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';

/** An ACL user created at startup (`ACL SETUSER <name> on ><password> <rules>`). */
export interface RedisAclUser {
  name: string;
  password: string;
  /** ACL rules after the password, e.g. `~* &* +@all` or `~* -@all +sync +replconf +info`. */
  rules: string;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** `requirepass` of the `default` user; default none (no authentication). */
  password?: string | undefined;
  /** Extra ACL users. */
  users?: readonly RedisAclUser[] | undefined;
  /**
   * `repl-diskless-sync`: `true` streams the RDB to replicas from the forked child (`$EOF:<mark>`
   * transfer), `false` writes it to disk first (`$<len>` transfer). Default `false`.
   */
  disklessSync?: boolean | undefined;
  /** `repl-diskless-sync-delay` in seconds; default 0 (Redis' own default is 5). */
  disklessSyncDelaySeconds?: number | undefined;
  /**
   * Serve TLS only: a CA, a server certificate for `127.0.0.1`/`localhost` and a client
   * certificate are generated with the `openssl` binary, and clients must present a certificate
   * (`tls-auth-clients yes`). Default `false`.
   */
  tls?: boolean | undefined;
  /** `cluster-enabled yes` (see {@link startRedisCluster}). Default `false`. */
  cluster?: boolean | undefined;
  /** `databases`; default 16. */
  databases?: number | undefined;
  /** Extra directives, e.g. `{ 'rdb-key-save-delay': 100 }`. */
  config?: Readonly<Record<string, string | number>> | undefined;
  /** Paths of modules to load (`loadmodule`). */
  modules?: readonly string[] | undefined;
}

/** Files of a TLS-enabled harness server (PEM). */
export interface RedisTlsFiles {
  /** CA that signed the server and client certificates. */
  caFile: string;
  /** Client certificate and key the server accepts. */
  certFile: string;
  keyFile: string;
}

/** Credentials for {@link RedisServer.url} and {@link RedisServer.cli}. */
export interface RedisCredentials {
  user?: string | undefined;
  password?: string | undefined;
}

/** A throwaway redis-server on a free port in a temp directory. */
export interface RedisServer {
  host: string;
  port: number;
  /** Process id of redis-server. */
  pid: number;
  /** Working directory (`dir`): `dump.rdb`, `redis.log`, TLS files. */
  dir: string;
  /** `requirepass` of the default user, when set. */
  password: string | undefined;
  /** TLS files when started with `tls: true`. */
  tls: RedisTlsFiles | undefined;
  /** Server version, e.g. `7.0.15`. */
  version: string;
  /**
   * `redis://[user:password@]127.0.0.1:<port>[/db]` (`rediss://` with TLS). Without credentials
   * the server's own password is used for the default user.
   */
  url(options?: RedisCredentials & { db?: number | undefined }): string;
  /** Runs `redis-cli` against the server (TLS and auth applied) and resolves with its stdout. */
  cli(args: readonly string[], options?: RedisCredentials): Promise<string>;
  /** The server log so far. */
  log(): Promise<string>;
  /** SIGKILL (for mid-transfer failure tests); resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (no save: `save ""`), then deletes the directory. */
  stop(): Promise<void>;
}

/** A Redis Cluster of masters without replicas. */
export interface RedisCluster {
  /** The master nodes, in port order of creation. */
  nodes: RedisServer[];
  /** URL of the first node (cluster clients discover the rest). */
  url(options?: RedisCredentials): string;
  /** Stops every node. */
  stop(): Promise<void>;
}

/** `redis-server`: `REDIS_SERVER_BIN`, else the first on `PATH`. Throws when Redis is not installed. */
export function findRedisServerBinary(): string {
  const fromEnv = process.env['REDIS_SERVER_BIN'];
  if (fromEnv) return fromEnv;
  for (const dir of (process.env['PATH'] ?? '/usr/bin').split(':')) {
    if (dir && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server');
  }
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  throw new Error('redis-server not found: apt-get install redis-server (or set REDIS_SERVER_BIN)');
}

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Generates a CA, a server certificate for 127.0.0.1/localhost and a client certificate. */
async function generateTlsFiles(
  dir: string,
): Promise<RedisTlsFiles & { serverCert: string; serverKey: string }> {
  const p = (name: string) => join(dir, name);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...key,
    '-days',
    '2',
    '-subj',
    '/CN=backup-test-ca',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
  ]);
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await writeFile(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'backup-client'],
  ] as const) {
    await run('openssl', [
      'req',
      ...key,
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.csr`),
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      p(`${name}.ext`),
      '-out',
      p(`${name}.crt`),
    ]);
  }
  return {
    caFile: p('ca.crt'),
    certFile: p('client.crt'),
    keyFile: p('client.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
  };
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port + 10000 <= 65535 && (await portIsFree(port + 10000))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

function quoteConfig(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Starts a redis-server on a free port of 127.0.0.1 in a temp directory, with persistence off
 * (`save ""`, no AOF) and the options' replication, TLS, ACL and cluster settings. Resolves when
 * it answers PING.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = findRedisServerBinary();
  const version = /v=(\S+)/.exec(await run(binary, ['--version']))?.[1] ?? 'unknown';
  const dir = await mkdtemp(join(tmpdir(), 'redis-harness-'));
  const port = options.cluster ? await freeClusterPort() : await freePort();
  const host = '127.0.0.1';
  const tlsFiles = options.tls ? await generateTlsFiles(dir) : undefined;
  const lines: string[] = [
    `bind ${host}`,
    `dir ${quoteConfig(dir)}`,
    `logfile ${quoteConfig(join(dir, 'redis.log'))}`,
    'save ""',
    'appendonly no',
    'daemonize no',
    'protected-mode no',
    `databases ${options.databases ?? 16}`,
    `repl-diskless-sync ${options.disklessSync ? 'yes' : 'no'}`,
    `repl-diskless-sync-delay ${options.disklessSyncDelaySeconds ?? 0}`,
  ];
  if (tlsFiles) {
    lines.push(
      'port 0',
      `tls-port ${port}`,
      `tls-cert-file ${quoteConfig(tlsFiles.serverCert)}`,
      `tls-key-file ${quoteConfig(tlsFiles.serverKey)}`,
      `tls-ca-cert-file ${quoteConfig(tlsFiles.caFile)}`,
      'tls-auth-clients yes',
      'tls-replication yes',
    );
  } else {
    lines.push(`port ${port}`);
  }
  if (options.password !== undefined) lines.push(`requirepass ${quoteConfig(options.password)}`);
  if (options.password !== undefined && options.cluster)
    lines.push(`masterauth ${quoteConfig(options.password)}`);
  for (const user of options.users ?? []) {
    lines.push(`user ${user.name} on >${user.password} ${user.rules}`);
  }
  if (options.cluster) {
    lines.push('cluster-enabled yes', 'cluster-config-file nodes.conf', 'cluster-node-timeout 5000');
  }
  for (const module of options.modules ?? []) lines.push(`loadmodule ${quoteConfig(module)}`);
  for (const [key, value] of Object.entries(options.config ?? {})) lines.push(`${key} ${String(value)}`);
  const configFile = join(dir, 'redis.conf');
  await writeFile(configFile, `${lines.join('\n')}\n`);

  const child: ChildProcess = spawn(binary, [configFile], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const cliBase = (credentials: RedisCredentials = {}): { args: string[]; env: NodeJS.ProcessEnv } => {
    const args = ['-h', host, '-p', String(port)];
    if (tlsFiles) {
      args.push('--tls', '--cacert', tlsFiles.caFile, '--cert', tlsFiles.certFile, '--key', tlsFiles.keyFile);
    }
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['REDISCLI_AUTH'];
    const password = credentials.password ?? (credentials.user ? undefined : options.password);
    if (credentials.user) args.push('--user', credentials.user);
    if (password !== undefined) env['REDISCLI_AUTH'] = password;
    return { args, env };
  };
  const cli = async (args: readonly string[], credentials?: RedisCredentials) => {
    const base = cliBase(credentials);
    return run('redis-cli', [...base.args, ...args], base.env);
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = await readFile(join(dir, 'redis.log'), 'utf8').catch(() => '');
      throw new Error(`redis-server exited at startup (${child.exitCode}): ${stderr}\n${log.slice(-3000)}`);
    }
    try {
      const pong = await cli(['ping']);
      if (pong.trim() === 'PONG') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    host,
    port,
    pid: child.pid!,
    dir,
    password: options.password,
    tls: tlsFiles
      ? { caFile: tlsFiles.caFile, certFile: tlsFiles.certFile, keyFile: tlsFiles.keyFile }
      : undefined,
    version,
    url(credentials = {}) {
      const scheme = tlsFiles ? 'rediss' : 'redis';
      const password = credentials.password ?? (credentials.user ? undefined : options.password);
      const user = credentials.user ? encodeURIComponent(credentials.user) : '';
      const auth =
        password !== undefined ? `${user}:${encodeURIComponent(password)}@` : user ? `${user}@` : '';
      const db = credentials.db === undefined ? '' : `/${credentials.db}`;
      return `${scheme}://${auth}${host}:${port}${db}`;
    },
    cli,
    log: () => readFile(join(dir, 'redis.log'), 'utf8').catch(() => ''),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `masters` (default 3) cluster-enabled servers and joins them with
 * `redis-cli --cluster create --cluster-replicas 0` (slots split evenly). Resolves when every node
 * reports `cluster_state:ok`.
 */
export async function startRedisCluster(
  options: Omit<StartRedisOptions, 'cluster' | 'tls'> & { masters?: number | undefined } = {},
): Promise<RedisCluster> {
  const count = options.masters ?? 3;
  if (count < 3) throw new Error('redis-cli --cluster create needs at least 3 masters');
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < count; i++) nodes.push(await startRedis({ ...options, cluster: true }));
    const first = nodes[0]!;
    await first.cli([
      '--cluster',
      'create',
      ...nodes.map((n) => `${n.host}:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + 30_000;
    for (const node of nodes) {
      for (;;) {
        const info = await node.cli(['cluster', 'info']);
        if (/cluster_state:ok/.test(info) && /cluster_known_nodes:(\d+)/.exec(info)?.[1] === String(count))
          break;
        if (Date.now() > deadline) throw new Error(`cluster did not converge:\n${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  return {
    nodes,
    url: (credentials) => nodes[0]!.url(credentials),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
