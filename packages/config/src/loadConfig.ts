import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { BackupError } from '@backup/core';
import type { z } from '@backup/zod';
import { parseDocument } from 'yaml';
import { interpolateEnv } from './interpolateEnv.js';
import { type BackupConfig, configSchema } from './schema.js';

/** A loaded config and where it came from. */
export interface LoadedConfig {
  config: BackupConfig;
  /** Absolute path of the file. */
  path: string;
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Path from `--config`; falls back to `BACKUP_CONFIG`, then `./backup.yaml`. */
  path?: string | undefined;
  /** Environment for `${VAR}` interpolation and `BACKUP_CONFIG`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Formats a zod issue path as `jobs[0].databases`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/**
 * Validates an already-parsed config object (after interpolation). Throws `CONFIG_INVALID` listing
 * every problem as `<file>: <field>: <message>`.
 */
export function parseConfig(input: unknown, source = 'config'): BackupConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue: z.core.$ZodIssue) => {
      const field = formatIssuePath(issue.path) || '(root)';
      return `${source}: ${field}: ${issue.message}`;
    });
    throw new BackupError('CONFIG_INVALID', `Invalid configuration:\n  ${lines.join('\n  ')}`, {
      cause: result.error,
      details: { fields: result.error.issues.map((i) => formatIssuePath(i.path)) },
    });
  }
  return result.data;
}

/**
 * Reads the YAML config (path from `options.path`, `BACKUP_CONFIG`, or `./backup.yaml`),
 * interpolates `${VAR}` from the environment, validates it, and resolves a relative `fs` storage
 * path against the file's directory.
 *
 * Throws `CONFIG_INVALID` when the file is missing, is not YAML, or does not match the schema
 * (the message names the file and the exact field, e.g. `jobs[0].engine`).
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const path = resolve(options.path ?? env['BACKUP_CONFIG'] ?? 'backup.yaml');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Cannot read config file ${path}: ${(error as Error).message}. Pass --config FILE or set BACKUP_CONFIG.`,
      { cause: error },
    );
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new BackupError('CONFIG_INVALID', `${path} is not valid YAML: ${doc.errors[0]!.message}`, {
      cause: doc.errors[0],
    });
  }
  const raw = interpolateEnv(doc.toJS(), env);
  const config = parseConfig(raw, path);
  if (config.storage.type === 'fs' && !isAbsolute(config.storage.path)) {
    config.storage.path = resolve(dirname(path), config.storage.path);
  }
  return { config, path };
}
