import { BackupError, type Catalog, type Manifest } from '@backup/core';
import { formatBytes } from './formatBytes.js';
import type { Prompter } from './Prompter.js';
import { parseAsOf } from './parseAsOf.js';
import { resolveBackupSet } from './resolveBackupSet.js';

// Choosing what to restore: job, then set, then units, then confirmation. Each step is answered by
// its flag when given, else by the prompter (a TTY), else it fails with CONFIG_INVALID naming the flag.

/** Input of {@link chooseJob}. */
export interface ChooseJobInput {
  /** Configured job names, in config order. */
  jobs: readonly string[];
  /** `--job`. */
  job?: string | undefined;
  prompter?: Prompter | undefined;
}

/**
 * The job to restore: `--job`, else asked, else `CONFIG_INVALID` naming `--job` and the configured
 * jobs. (The caller validates a given name against its config.)
 */
export async function chooseJob(input: ChooseJobInput): Promise<string> {
  if (input.job !== undefined) return input.job;
  if (input.jobs.length === 0) throw new BackupError('CONFIG_INVALID', 'The config has no jobs');
  if (!input.prompter) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Choose the job to restore: pass --job NAME (configured jobs: ${input.jobs.join(', ')})`,
    );
  }
  return input.prompter.select({
    message: 'Job to restore',
    flag: '--job',
    choices: input.jobs.map((j) => ({ value: j, name: j })),
  });
}

/** Input of {@link chooseSet}. */
export interface ChooseSetInput {
  catalog: Catalog;
  job: string;
  /** The set argument: `latest` or a set id. */
  set?: string | undefined;
  /** `--as-of TIME` (see `parseAsOf`). */
  asOf?: string | undefined;
  prompter?: Prompter | undefined;
}

/**
 * The set to restore: by id or `latest`, by `--as-of` (the newest complete set at or before that
 * time), else picked from the job's complete sets (newest first), else `CONFIG_INVALID` naming the
 * argument and `--as-of`. Throws `NOT_FOUND` when the job has no complete set.
 */
export async function chooseSet(input: ChooseSetInput): Promise<Manifest> {
  if (input.set !== undefined || input.asOf !== undefined) {
    return resolveBackupSet(input.catalog, input.job, {
      ref: input.set,
      asOf: input.asOf === undefined ? undefined : parseAsOf(input.asOf),
    });
  }
  if (!input.prompter) {
    throw new BackupError(
      'CONFIG_INVALID',
      'Choose the set to restore: name it (a set id, or latest) or pass --as-of TIME',
    );
  }
  const sets = (await input.catalog.listSets(input.job)).filter((s) => s.complete);
  if (sets.length === 0) {
    throw new BackupError('NOT_FOUND', `Job ${input.job} has no complete backup set`, {
      details: { job: input.job },
    });
  }
  const id = await input.prompter.select({
    message: `Backup set of ${input.job} (newest first)`,
    flag: '<set> or --as-of',
    choices: sets.map((s, i) => ({
      value: s.id,
      name: `${s.id}  ${s.time.toISOString().replace('T', ' ').slice(0, 16)} UTC  ${formatBytes(s.bytes)}${i === 0 ? '  (latest)' : ''}`,
    })),
  });
  return input.catalog.readManifest(input.job, id);
}

/** Input of {@link chooseUnits}. */
export interface ChooseUnitsInput {
  manifest: Manifest;
  /** `--database`/`--unit` names; unknown names throw `NOT_FOUND` listing the set's units. */
  units?: readonly string[] | undefined;
  /** `--all`: the default units without asking. */
  all?: boolean | undefined;
  /** What "all" means for the engine (`RestoreAdapter.defaultUnits`). */
  defaults: readonly string[];
  prompter?: Prompter | undefined;
}

/**
 * The units to restore: the named ones, else all (the adapter's default units) when `--all` or not
 * on a terminal (as `backup restore` always did), else asked with every unit of the set listed and
 * the default ones checked.
 */
export async function chooseUnits(input: ChooseUnitsInput): Promise<string[]> {
  const { manifest } = input;
  if (input.units && input.units.length > 0) {
    const unknown = input.units.filter((name) => !manifest.units.some((u) => u.name === name));
    if (unknown.length > 0) {
      throw new BackupError(
        'NOT_FOUND',
        `Set ${manifest.job}/${manifest.id} has no unit ${unknown.map((u) => `"${u}"`).join(', ')} ` +
          `(it has: ${manifest.units.map((u) => u.name).join(', ')})`,
      );
    }
    return [...new Set(input.units)];
  }
  if (input.all || !input.prompter) return [...input.defaults];
  const sizes = new Map<string, number>();
  for (const a of manifest.artifacts) sizes.set(a.unit, (sizes.get(a.unit) ?? 0) + a.storedBytes);
  return input.prompter.checkbox({
    message: `Units of ${manifest.job}/${manifest.id} to restore`,
    flag: '--database (repeatable) or --all',
    choices: manifest.units.map((u) => ({
      value: u.name,
      name: `${u.name}  (${u.kind}, ${formatBytes(sizes.get(u.name) ?? 0)})`,
      checked: input.defaults.includes(u.name),
    })),
  });
}

/** Input of {@link confirmRestore}. */
export interface ConfirmRestoreInput {
  /** `--yes`. */
  yes?: boolean | undefined;
  prompter?: Prompter | undefined;
  /** The question, e.g. `Restore 2 databases, overwriting 1?`. */
  message: string;
}

/**
 * True to go on: `--yes`, else the person's answer (default no). Without `--yes` and a prompter,
 * throws `CONFIG_INVALID` naming `--yes`, so an unattended run never proceeds by accident.
 */
export async function confirmRestore(input: ConfirmRestoreInput): Promise<boolean> {
  if (input.yes) return true;
  if (!input.prompter) {
    throw new BackupError(
      'CONFIG_INVALID',
      'Not a terminal: pass --yes to confirm the restore non-interactively',
    );
  }
  return input.prompter.confirm({ message: input.message, flag: '--yes', default: false });
}
