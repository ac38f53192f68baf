import { BackupError } from '@backup/core';
import { Command, CommanderError, Option } from 'commander';

declare const __BACKUP_CRONJOB_VERSION__: string | undefined;
/** The app version (injected at build time). */
export const VERSION =
  typeof __BACKUP_CRONJOB_VERSION__ === 'string' ? __BACKUP_CRONJOB_VERSION__ : '0.0.0-dev';

/** What the command line (and its environment fallbacks) asks for. */
export interface CronjobArgs {
  /** `--config FILE`; `undefined` = `BACKUP_CONFIG`, then `./backup.yaml` (see `loadConfig`). */
  config?: string | undefined;
  /** `--job NAME` (repeatable), else `BACKUP_JOBS` (comma-separated); empty = every job. */
  jobs: string[];
  /** `--concurrency N`: jobs run at once; default 1. */
  concurrency: number;
  /** `--dry-run-prune`: plan the prune, delete nothing. */
  dryRunPrune: boolean;
  /** `--drill`: run restore drills of the jobs instead of backups (`runDrills`). */
  drill: boolean;
}

/** Parsing outcome: the arguments, or an exit code after `--help`/`--version` (printed already). */
export type ParsedArgs = { args: CronjobArgs } | { exitCode: number };

/**
 * Parses `backup-cronjob` arguments (`argv` WITHOUT node and script). `--help` and `--version`
 * print to `stdout` and yield exit code 0. Throws `CONFIG_INVALID` for unknown options or a bad
 * `--concurrency` (exit 2).
 */
export function parseArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } },
): ParsedArgs {
  const program = new Command('backup-cronjob')
    .description(
      'Runs backup jobs as a scheduled job: for each job lock -> backup -> verify -> prune -> metrics; ' +
        'exits 0 only when every job succeeded',
    )
    .version(VERSION)
    .option('-c, --config <file>', 'config file (YAML); default $BACKUP_CONFIG, then ./backup.yaml')
    .option(
      '-j, --job <name>',
      'job to run (repeatable); default $BACKUP_JOBS (comma-separated), else every job',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(new Option('--concurrency <n>', 'jobs run at the same time').default('1'))
    .option('--dry-run-prune', 'plan the prune and report it, delete nothing')
    .option('--drill', 'run restore drills of the jobs (BACKUP_DRILL_TARGET) instead of backups')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Usage errors are reported once, by the caller (`error [CONFIG_INVALID]: ...`).
      outputError: () => {},
    })
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false);
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return { exitCode: 0 };
      throw new BackupError('CONFIG_INVALID', error.message.replace(/^error: /, ''), { cause: error });
    }
    throw error;
  }
  const opts = program.opts<{
    config?: string;
    job?: string[];
    concurrency: string;
    dryRunPrune?: boolean;
    drill?: boolean;
  }>();
  const concurrency = Number(opts.concurrency);
  if (!/^\d+$/.test(opts.concurrency.trim()) || !Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new BackupError(
      'CONFIG_INVALID',
      `--concurrency must be a whole number >= 1, got ${JSON.stringify(opts.concurrency)}`,
    );
  }
  const fromEnv = (env['BACKUP_JOBS'] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const jobs = [...new Set(opts.job && opts.job.length > 0 ? opts.job : fromEnv)];
  return {
    args: {
      config: opts.config,
      jobs,
      concurrency,
      dryRunPrune: opts.dryRunPrune === true,
      drill: opts.drill === true,
    },
  };
}
