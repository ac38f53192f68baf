import { Command, Option } from 'commander';
import { type DrillAppFlags, drillAction } from './drillAction.js';
import type { RestoreAppIo } from './RestoreAppIo.js';
import { type RestoreAppFlags, restoreAction } from './restoreAction.js';

declare const __BACKUP_RESTORE_VERSION__: string | undefined;
const VERSION = typeof __BACKUP_RESTORE_VERSION__ === 'string' ? __BACKUP_RESTORE_VERSION__ : '0.0.0-dev';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The commander program of `backup-restore` (parsing and wiring only): the restore itself as the
 * default command, `drill` as a subcommand. Each action stores its exit code with `setExitCode`.
 */
export function createRestoreProgram(io: RestoreAppIo, setExitCode: (code: number) => void): Command {
  const program = new Command('backup-restore')
    .description(
      'Restore a backup set safely: choose (flags, or prompts on a terminal), plan (--dry-run), take a safety ' +
        'backup before overwriting, verify checksums, restore, check counts against the backup, report',
    )
    .version(VERSION)
    .argument('[set]', 'set id (YYYYMMDD-HHMMSS) or "latest"; or use --as-of; asked on a terminal')
    .addOption(new Option('-c, --config <file>', 'config file (YAML)').env('BACKUP_CONFIG'))
    .option('-j, --job <name>', 'job to restore (asked on a terminal)')
    .option(
      '--as-of <time>',
      'the newest complete set started at or before this time (ISO 8601, UTC default)',
    )
    .option(
      '-d, --database <name>',
      'unit to restore (repeatable; default: all databases, asked on a terminal)',
      collect,
    )
    .option('-u, --unit <name>', 'unit to restore, any engine (repeatable; same as --database)', collect)
    .option('--collection <name>', 'Qdrant collection to restore (repeatable; same as --unit)', collect)
    .option('--all', 'restore the default units (all databases) without asking')
    .option(
      '-t, --target <url>',
      "target server URL (default: the job's own server); Qdrant: comma-separated node URLs",
    )
    .option('--into <name>', 'restore the one chosen database/collection under this new name (not Redis)')
    .option('--force', 'overwrite non-empty targets (a safety backup is taken first)')
    .option('--globals', 'also restore roles and tablespaces (PostgreSQL)')
    .option('--no-owner', 'objects belong to the restoring user (pg_restore --no-owner)')
    .option(
      '--to-file <path>',
      'Redis RDB sets: write the verified RDB to this file (or dump.rdb in this directory) for file placement',
    )
    .option('--no-safety-backup', 'do not back up the targets before overwriting them (cannot be undone)')
    .option(
      '--verify-first',
      'download and check every artifact before touching the target (default with --force)',
    )
    .option('--no-verify-first', 'stream without a verify pass even when overwriting')
    .option('-i, --identity <file>', 'age identity file for encrypted sets (default: BACKUP_AGE_IDENTITY)')
    .option(
      '--dry-run',
      'print the plan (artifacts, checksums, target, overwrites, safety backup, estimate); change nothing',
    )
    .option(
      '-y, --yes',
      'no prompts at all: flags decide, units default to all (for automation and runbooks)',
    )
    .option('--json', 'print the plan and report as JSON')
    // Program options only before `drill`, so `drill --job` is the subcommand's own option.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError()
    .action(async (set: string | undefined, flags: RestoreAppFlags) => {
      setExitCode(await restoreAction(set, flags, io));
    });

  program
    .command('drill')
    .description(
      "restore drill: restore the job's latest set into scratch databases on a drill server, check the counts, " +
        'store the report next to the set, push backup_restore_drill_* metrics, remove the scratch databases',
    )
    .addOption(new Option('-c, --config <file>', 'config file (YAML)').env('BACKUP_CONFIG'))
    .requiredOption('-j, --job <name>', 'job to drill')
    .option('--set <id>', 'set to drill (default: latest)')
    .option('-t, --target <url>', 'drill server URL (default: BACKUP_DRILL_TARGET)')
    .option(
      '--prefix <prefix>',
      'scratch name prefix: databases, collections (default: BACKUP_DRILL_PREFIX, else drill_); Redis drills use the whole drill server',
    )
    .option('-i, --identity <file>', 'age identity file for encrypted sets (default: BACKUP_AGE_IDENTITY)')
    .option('--json', 'print the drill report as JSON')
    .action(async (flags: DrillAppFlags) => {
      const config = flags.config ?? program.opts<{ config?: string }>().config;
      setExitCode(await drillAction({ ...flags, config }, io));
    });

  return program;
}
