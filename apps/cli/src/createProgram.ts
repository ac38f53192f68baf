import type { Logger } from '@backup/core';
import { Command, Option } from 'commander';
import { createCliContext, type GlobalOptions } from './CliContext.js';
// Command modules are imported when their command runs (`await import(...)` in each action), so
// `backup wal-fetch` or `backup list` does not load every engine and its client library.
import type { drillCommand } from './commands/drillCommand.js';
import {
  assertNoPitrFlags,
  pitrFlagsOfRestore,
  type RestorePitrFlags,
} from './commands/pitrFlagsOfRestore.js';
import type { pitrRestoreCommand } from './commands/pitrRestoreCommand.js';
import type { RestoreFlags } from './commands/restoreCommand.js';
import type { WalPushFlags } from './commands/walPushCommand.js';
import { handleError } from './handleError.js';

/**
 * `backup wal-fetch` exits with this plus the error's exit code (e.g. 208 for STORAGE_UNREACHABLE,
 * 204 for a checksum mismatch, 202 for a config error; 201 for anything else) when it cannot read
 * the archive. PostgreSQL treats a restore_command exit status above 125 as fatal and stops the
 * recovery (PG15 `xlogarchive.c` RestoreArchivedFile, `wait_result_is_any_signal`), where any
 * status from 1 to 125 means "no such file" and, with no recovery target, ends the recovery and
 * promotes. Codes above 200 avoid 126/127, which PostgreSQL logs as "command not executable/found".
 */
export const WAL_FETCH_FATAL_BASE = 200;

declare const __BACKUP_CLI_VERSION__: string | undefined;
const VERSION = typeof __BACKUP_CLI_VERSION__ === 'string' ? __BACKUP_CLI_VERSION__ : '0.0.0-dev';

/** What {@link createProgram} wires into the commands. */
export interface ProgramIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  logger: Logger;
  signal: AbortSignal;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Builds the commander program of `backup`; parsing, wiring and output only. */
export function createProgram(io: ProgramIo): Command {
  const program = new Command('backup')
    .description('Back up and restore PostgreSQL (and more engines) to S3 or a directory')
    .version(VERSION)
    .addOption(new Option('-c, --config <file>', 'config file (YAML)').env('BACKUP_CONFIG'))
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError();
  const context = async () => createCliContext(program.opts<GlobalOptions>(), io);

  program
    .command('run')
    .description('run backup jobs (all, or those named with --job); exit 0 only if every job succeeded')
    .option('-j, --job <name>', 'job to run (repeatable)', collect)
    .option('--json', 'print the per-job results as JSON')
    .action(async (opts: { job?: string[]; json?: boolean }) => {
      await (await import('./commands/runCommand.js')).runCommand(await context(), opts);
    });

  program
    .command('list')
    .description('list backup sets, newest first (only complete sets unless --all)')
    .option('-j, --job <name>', 'only this job')
    .option('--all', 'also show incomplete sets (no manifest; never restorable)')
    .option('--json', 'print JSON')
    .action(async (opts: { job?: string; all?: boolean; json?: boolean }) => {
      await (await import('./commands/listCommand.js')).listCommand(await context(), opts);
    });

  program
    .command('show')
    .description("show a backup set's manifest")
    .argument('<set>', 'set id (YYYYMMDD-HHMMSS) or "latest"')
    .requiredOption('-j, --job <name>', 'job name')
    .option('--json', 'print the manifest JSON')
    .action(async (ref: string, opts: { job: string; json?: boolean }) => {
      await (await import('./commands/showCommand.js')).showCommand(await context(), ref, opts);
    });

  program
    .command('verify')
    .description('verify checksums and the structure of every artifact of a set')
    .argument('<set>', 'set id or "latest"')
    .requiredOption('-j, --job <name>', 'job name')
    .option('--quick', 'check stored size and sha256 only (no decompression, no engine check)')
    .option('-i, --identity <file>', 'age identity file for encrypted sets (default: BACKUP_AGE_IDENTITY)')
    .option('--json', 'print the report as JSON')
    .action(
      async (ref: string, opts: { job: string; quick?: boolean; json?: boolean; identity?: string }) => {
        await (await import('./commands/verifyCommand.js')).verifyCommand(await context(), ref, opts);
      },
    );

  program
    .command('restore')
    .description(
      'restore a set of any engine (PostgreSQL, Redis, Qdrant, Neo4j): plan, safety backup before overwriting, ' +
        'verified restore, checks against the backup; --pitr: point-in-time recovery of a physical PostgreSQL job',
    )
    .argument(
      '[set]',
      'set id or "latest" (or use --as-of); with --pitr: the base backup (default: the newest fitting)',
    )
    .option(
      '-j, --job <name>',
      'job name (or <job>-pre-restore to restore a safety backup); with --pitr optional',
    )
    .option(
      '--as-of <time>',
      'the newest complete set started at or before this time (ISO 8601, UTC default)',
    )
    .option('-d, --database <name>', 'database to restore (repeatable; default all)', collect)
    .option('-u, --unit <name>', 'unit to restore, any engine (repeatable; same as --database)', collect)
    .option('--collection <name>', 'Qdrant collection to restore (repeatable; same as --unit)', collect)
    .option(
      '-t, --target <url>',
      "target server URL (default: the job's url); Qdrant: comma-separated node URLs",
    )
    .option('--into <name>', 'restore the one chosen database/collection under this new name (not Redis)')
    .option(
      '--force',
      'overwrite non-empty targets, after a safety backup (PostgreSQL: pg_restore --clean; Redis: RESTORE REPLACE; ' +
        'Qdrant: replace the collection; Neo4j: wipe the database first)',
    )
    .option('--globals', 'PostgreSQL: also restore roles and tablespaces (pg_dumpall --globals-only)')
    .option('--no-owner', 'PostgreSQL: objects belong to the restoring user (pg_restore --no-owner)')
    .option(
      '--to-file <path>',
      'Redis RDB sets: write the verified RDB to this file (or dump.rdb in this directory) for file placement',
    )
    .option('--no-safety-backup', 'do not back up the overwritten targets into <job>-pre-restore first')
    .option(
      '--verify-first',
      'download and check every artifact before touching the target (default with --force, and for non-PostgreSQL engines)',
    )
    .option('--no-verify-first', 'stream without a verify pass even when overwriting')
    .option(
      '--dry-run',
      'print the plan (artifacts, checksums, target, overwrites, safety backup, estimate); change nothing',
    )
    .option('-i, --identity <file>', 'age identity file for encrypted sets (default: BACKUP_AGE_IDENTITY)')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--json', 'print the plan and results as JSON')
    .option('--pitr', 'point-in-time recovery of a physical PostgreSQL job (as backup pitr-restore)')
    .option('-D, --data-dir <dir>', '--pitr: empty or missing directory for the restored cluster')
    .option('--target-time <timestamp>', '--pitr: recover up to this time (with a zone)')
    .option('--target-lsn <lsn>', '--pitr: recover up to this WAL location')
    .option('--target-xid <xid>', '--pitr: recover up to this transaction')
    .option('--target-name <name>', '--pitr: recover up to this restore point')
    .option('--immediate', '--pitr: stop as soon as the base backup is consistent')
    .option('--latest', '--pitr: replay all archived WAL')
    .option('--base <set>', '--pitr: base backup set id')
    .option('--target-timeline <tli>', '--pitr: latest (default), current or a timeline number')
    .option('--target-action <action>', '--pitr: promote (default), pause or shutdown at the target')
    .option('--exclusive', '--pitr: stop just before the target')
    .option('--no-archive', '--pitr: write archive_mode = off')
    .option('--restore-command <cmd>', "--pitr: restore_command to write instead of this CLI's wal-fetch")
    .option('--start', '--pitr: start the server and wait for the recovery to end')
    .option('--port <port>', '--pitr with --start: port of the restored server')
    .option('--socket-dir <dir>', '--pitr with --start: Unix socket directory of the restored server')
    .action(async (ref: string | undefined, opts: RestoreFlags & RestorePitrFlags) => {
      if (opts.pitr) {
        await (await import('./commands/pitrRestoreCommand.js')).pitrRestoreCommand(
          await context(),
          pitrFlagsOfRestore(ref, opts),
        );
        return;
      }
      assertNoPitrFlags(opts);
      await (await import('./commands/restoreCommand.js')).restoreCommand(
        { ...(await context()), stdin: io.stdin },
        ref,
        opts,
      );
    });

  program
    .command('drill')
    .description(
      "restore drill: restore the job's latest set into scratch targets on a drill server (databases, collections; " +
        'Redis and Neo4j Community: the whole, empty drill server), check counts, store the report next to the set, ' +
        'push backup_restore_drill_* metrics, remove the scratch targets',
    )
    .requiredOption('-j, --job <name>', 'job to drill')
    .option('--set <id>', 'set to drill (default: latest)')
    .option('-t, --target <url>', 'drill server URL (default: BACKUP_DRILL_TARGET)')
    .option(
      '--prefix <prefix>',
      'scratch name prefix: databases, collections (default: BACKUP_DRILL_PREFIX, else drill_); Redis drills use the whole drill server',
    )
    .option('-i, --identity <file>', 'age identity file for encrypted sets (default: BACKUP_AGE_IDENTITY)')
    .option('--json', 'print the drill report as JSON')
    .action(async (opts: Parameters<typeof drillCommand>[1]) => {
      await (await import('./commands/drillCommand.js')).drillCommand(await context(), opts);
    });

  program
    .command('prune')
    .description('delete backup sets the retention policy removes (default 7 daily, 4 weekly, 12 monthly)')
    .option('-j, --job <name>', 'job to prune (repeatable; default all)', collect)
    .option('--dry-run', 'print what would be removed; delete nothing')
    .option('--json', 'print the results as JSON')
    .action(async (opts: { job?: string[]; dryRun?: boolean; json?: boolean }) => {
      await (await import('./commands/pruneCommand.js')).pruneCommand(await context(), opts);
    });

  // archive_command / restore_command: the server reads only the exit status, and one above 125 (or a
  // signal) aborts a recovery (protocols.md 6.1). wal-push exits with codes of at most 125 (0 done,
  // the error's documented code otherwise, ABORTED: 1): the archiver retries. wal-fetch exits 1 for a
  // missing file and, for every other failure (after --retry-seconds of retries for storage errors),
  // with WAL_FETCH_FATAL_BASE + the error's code (at most 255), so the recovery stops instead of
  // taking an unreadable archive for its end and promoting; --non-fatal keeps the codes <= 125.
  const exitForServer = (error: unknown, fatal = false): never => {
    const code = handleError(error, io.logger, io.stderr);
    const small = code > 125 ? 1 : code;
    process.exit(fatal ? WAL_FETCH_FATAL_BASE + (small === 0 ? 1 : small) : small);
  };

  program
    .command('wal-push')
    .description("archive one WAL file: archive_command = 'backup wal-push %p' (exit 0 only once stored)")
    .argument('<path>', 'the WAL file (%p, relative to the data directory)')
    .option('-j, --job <name>', 'physical postgres job (default: the only one in the config)')
    .option('--parallel <n>', 'files pushed at the same time (1-16; default 4)')
    .option(
      '--ahead <n>',
      'push the oldest other .ready files too, up to n per round, each recorded in a spool marker (0-64; default 16; 0: none)',
    )
    .option(
      '--spool-dir <dir>',
      'directory of the spool markers (default: pg_wal/backup_wal_push next to <path>)',
    )
    .option('--no-helper', 'push ahead within this call instead of in a background archive helper')
    .addOption(new Option('--run-helper', 'internal: be the archive helper').hideHelp())
    .action(async (path: string, opts: WalPushFlags) => {
      try {
        await (await import('./commands/walPushCommand.js')).walPushCommand(await context(), path, opts);
      } catch (error) {
        exitForServer(error);
      }
    });

  program
    .command('wal-fetch')
    .description(
      "restore one archived WAL file: restore_command = 'backup wal-fetch %f %p' (exit 1 when missing, " +
        `${WAL_FETCH_FATAL_BASE}+code when the archive cannot be read: the recovery stops)`,
    )
    .argument('<file>', 'WAL file name (%f)')
    .argument('<destination>', 'where to write it (%p)')
    .option('-j, --job <name>', 'physical postgres job (default: the only one in the config)')
    .option(
      '-i, --identity <file>',
      'age identity file for encrypted archives (default: BACKUP_AGE_IDENTITY)',
    )
    .option('--retry-seconds <s>', 'keep retrying storage errors this long before failing (default 60)')
    .option(
      '--non-fatal',
      'exit with codes <= 125 on failures too (PostgreSQL then treats the file as missing: only for a standby that falls back to streaming)',
    )
    .action(
      async (
        file: string,
        destination: string,
        opts: { job?: string; identity?: string; retrySeconds?: string; nonFatal?: boolean },
      ) => {
        let missing = false;
        try {
          missing =
            (
              await (
                await import('./commands/walFetchCommand.js')
              ).walFetchCommand(await context(), file, destination, opts)
            ).status === 'missing';
        } catch (error) {
          exitForServer(error, opts.nonFatal !== true);
        }
        if (missing) {
          io.stderr.write(`wal-fetch: ${file} is not in the archive\n`);
          process.exit(1);
        }
      },
    );

  program
    .command('pitr-restore')
    .description('point-in-time recovery of a physical job into an empty data directory')
    .requiredOption('-D, --data-dir <dir>', 'empty or missing directory for the restored cluster')
    .option('-j, --job <name>', 'physical postgres job (default: the only one in the config)')
    .option('--target-time <timestamp>', 'recover up to this time (with a zone: "2026-01-21 14:30:00+00")')
    .option('--target-lsn <lsn>', 'recover up to this WAL location (0/16B3748)')
    .option('--target-xid <xid>', 'recover up to this transaction')
    .option('--target-name <name>', 'recover up to this restore point (pg_create_restore_point)')
    .option('--immediate', 'stop as soon as the base backup is consistent')
    .option('--latest', 'replay all archived WAL')
    .option('--base <set>', 'base backup set id (default: the newest that ended before the target)')
    .option('--target-timeline <tli>', 'latest (default), current or a timeline number')
    .option('--target-action <action>', 'promote (default), pause or shutdown at the target')
    .option('--exclusive', 'stop just before the target (recovery_target_inclusive = off)')
    .option('--no-archive', 'write archive_mode = off: the restored server archives nothing into the job')
    .option('-i, --identity <file>', 'age identity file for encrypted sets (default: BACKUP_AGE_IDENTITY)')
    .option('--restore-command <cmd>', "restore_command to write instead of this CLI's wal-fetch")
    .option('--start', 'start the server (as the directory owner) and wait for the recovery to end')
    .option('--port <port>', 'with --start: port of the restored server')
    .option('--socket-dir <dir>', 'with --start: Unix socket directory of the restored server')
    .option('--json', 'print the result as JSON')
    .action(async (opts: Parameters<typeof pitrRestoreCommand>[1]) => {
      await (await import('./commands/pitrRestoreCommand.js')).pitrRestoreCommand(await context(), opts);
    });

  return program;
}
