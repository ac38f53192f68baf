import { type BackupConfig, createStorage, type JobConfig, loadConfig, selectJobs } from '@backup/config';
import { Catalog, type Logger, type StorageBackend } from '@backup/core';

/** What every command gets: config, storage, catalog, logger, output streams, cancellation. */
export interface CliContext {
  config: BackupConfig;
  configPath: string;
  storage: StorageBackend;
  catalog: Catalog;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
  /** The configured job called `name` (CONFIG_INVALID when unknown). */
  job(name: string): JobConfig;
}

/** Options common to all commands. */
export interface GlobalOptions {
  config?: string | undefined;
}

/** Loads the config (`--config` / `BACKUP_CONFIG`) and builds storage and catalog. */
export async function createCliContext(
  options: GlobalOptions,
  io: {
    logger: Logger;
    env: NodeJS.ProcessEnv;
    stdout: NodeJS.WriteStream;
    stderr: NodeJS.WriteStream;
    signal: AbortSignal;
  },
): Promise<CliContext> {
  const { config, path } = await loadConfig({ path: options.config, env: io.env });
  const storage = createStorage(config.storage);
  return {
    ...io,
    config,
    configPath: path,
    storage,
    catalog: new Catalog(storage),
    job: (name) => selectJobs(config, [name])[0]!,
  };
}
