import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';

/** A throwaway Prometheus Pushgateway process on a free port, without persistence. */
export interface PushgatewayServer {
  /** `http://127.0.0.1:<port>` (no trailing slash, no credentials). */
  url: string;
  port: number;
  /** Basic-auth credentials every request needs, when started with `basicAuth: true`. */
  auth?: { username: string; password: string } | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and deletes its config. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startPushgateway}. */
export interface PushgatewayOptions {
  /**
   * Require HTTP basic auth on every endpoint (exporter-toolkit `--web.config.file`) with the fixed
   * user `pusher` / password `push-secret`. Default false.
   */
  basicAuth?: boolean | undefined;
}

const AUTH = {
  username: 'pusher',
  password: 'push-secret',
  /** bcrypt (cost 4, fast) of `push-secret`, made with Python's `crypt.crypt(..., METHOD_BLOWFISH)`. */
  bcrypt: '$2b$04$dmAqQTnobXWcm9IzSIRteee4MGkttI5lMdS.R.ra9QxTKBey/UY66',
};

/**
 * The Pushgateway binary: `PUSHGATEWAY_BIN`, else `/usr/bin/prometheus-pushgateway` (Debian package
 * `prometheus-pushgateway`). Throws when it is not installed.
 */
export function findPushgatewayBinary(): string {
  const binary = process.env['PUSHGATEWAY_BIN'] ?? '/usr/bin/prometheus-pushgateway';
  if (!existsSync(binary)) {
    throw new Error(`Pushgateway not found at ${binary}: apt-get install prometheus-pushgateway`);
  }
  return binary;
}

/**
 * Starts `prometheus-pushgateway --web.listen-address=127.0.0.1:<free port> --persistence.file=` (an
 * explicitly empty persistence file: pushed metrics live in memory only and die with the process) and resolves once `GET /-/ready` answers 200 (30 s deadline).
 * Throws with the process's last log lines when it exits or does not become ready.
 */
export async function startPushgateway(options: PushgatewayOptions = {}): Promise<PushgatewayServer> {
  const binary = findPushgatewayBinary();
  const port = await freePort();
  // Debian's build defaults `--persistence.file` to /var/lib/prometheus/pushgateway.data: shared
  // between instances and surviving restarts. An empty value keeps metrics in memory only.
  const args = [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'];
  let configDir: string | undefined;
  const headers: Record<string, string> = {};
  if (options.basicAuth) {
    configDir = await mkdtemp(join(tmpdir(), 'pushgateway-'));
    const config = join(configDir, 'web.yml');
    await writeFile(config, `basic_auth_users:\n  ${AUTH.username}: '${AUTH.bcrypt}'\n`);
    args.push(`--web.config.file=${config}`);
    headers['authorization'] = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`;
  }
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (configDir) await rm(configDir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      if (configDir) await rm(configDir, { recursive: true, force: true });
      throw new Error(
        `Pushgateway exited before it was ready: ${spawnError?.message ?? `code ${child.exitCode}`}\n${log}`,
      );
    }
    try {
      const response = await fetch(`${url}/-/ready`, { headers, signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Pushgateway did not become ready on ${url} within 30 s\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const auth = options.basicAuth ? { username: AUTH.username, password: AUTH.password } : undefined;
  return { url, port, auth, stop };
}
