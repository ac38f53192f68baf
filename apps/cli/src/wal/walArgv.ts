// Node built-ins only (none, in fact): read by bin.ts before anything else is loaded.

/** What {@link parseWalPushArgv} found in `backup ... wal-push ...` arguments. */
export interface WalPushArgv {
  /** `<path>` (`%p`). */
  path: string;
  /** `--config` / `-c`, when given. */
  config: string | undefined;
  /** `--job` / `-j`, when given. */
  job: string | undefined;
  /** `--spool-dir`, when given. */
  spoolDir: string | undefined;
}

/**
 * The command of a `backup` invocation when it is `wal-push` or `wal-fetch` (the first argument
 * that is neither the global `--config`/`-c` option nor its value), else `undefined`.
 */
export function walCommandOf(argv: readonly string[]): 'wal-push' | 'wal-fetch' | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') {
      i++;
      continue;
    }
    if (a.startsWith('--config=')) continue;
    return a === 'wal-push' || a === 'wal-fetch' ? a : undefined;
  }
  return undefined;
}

/**
 * Parses the arguments of a `wal-push` call for the spool-marker check, accepting exactly what
 * the full parser (commander) accepts for it: `[-c|--config F] wal-push <path> [-j|--job N]
 * [--parallel N] [--ahead N] [--spool-dir D] [--no-helper]`, options also as `--name=value`, global `--config` also after the
 * command. Returns `undefined` for anything else (help, unknown options, a missing path): the full
 * CLI then parses and reports it.
 */
export function parseWalPushArgv(argv: readonly string[]): WalPushArgv | undefined {
  const values = new Map<string, string>();
  const positional: string[] = [];
  const names: Record<string, string> = {
    '--config': 'config',
    '-c': 'config',
    '--job': 'job',
    '-j': 'job',
    '--parallel': 'parallel',
    '--ahead': 'ahead',
    '--spool-dir': 'spoolDir',
  };
  const booleans = new Set(['--no-helper']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (booleans.has(a)) continue;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (flag.startsWith('-') && flag !== '-') {
      const key = names[flag];
      if (!key || values.has(key)) return undefined;
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) return undefined;
      values.set(key, value);
      continue;
    }
    positional.push(a);
  }
  if (positional.length !== 2 || positional[0] !== 'wal-push') return undefined;
  const parallel = values.get('parallel');
  if (parallel !== undefined && !/^([1-9]|1[0-6])$/.test(parallel)) return undefined;
  const ahead = values.get('ahead');
  if (ahead !== undefined && !/^([0-9]|[1-5][0-9]|6[0-4])$/.test(ahead)) return undefined;
  return {
    path: positional[1]!,
    config: values.get('config'),
    job: values.get('job'),
    spoolDir: values.get('spoolDir'),
  };
}
