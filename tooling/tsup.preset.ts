import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/** Options of {@link backupTsup}. */
export interface BackupTsupOptions {
  /** Entry files, e.g. `['src/index.ts', 'src/bin.ts']`. */
  entry: string[];
  /** Entries that get `.d.ts` files; default all of `entry`. */
  dtsEntry?: string[];
  /**
   * Name of a global replaced at build time by the package's version (read from the package.json
   * next to the tsup config), e.g. `__BACKUP_CLI_VERSION__`.
   */
  versionGlobal?: string;
  /** `import.meta.url` of the tsup config (to find its package.json); needed with `versionGlobal`. */
  configUrl?: string;
  /** Modules left as imports. */
  external?: string[];
  /** Dependencies bundled into the output instead of imported (tsup `noExternal`). */
  bundle?: string[];
  /** Emit `.d.ts` files; default true. */
  dts?: boolean;
  /**
   * Module ids resolved to other files when bundling (esbuild `alias`), e.g. a dependency's ES
   * module build where its `node` export condition names CommonJS, which esbuild cannot bundle
   * into an ES module (a `require` of a built-in throws at run time).
   */
  alias?: Record<string, string>;
}

/** The one tsup setup of every package: ESM + `.d.ts`, Node 22 target, source maps. */
export function backupTsup(options: BackupTsupOptions): Options | Options[] {
  const define: Record<string, string> = {};
  if (options.versionGlobal) {
    if (!options.configUrl) throw new Error('backupTsup: versionGlobal needs configUrl (import.meta.url)');
    const { version } = JSON.parse(readFileSync(new URL('./package.json', options.configUrl), 'utf8')) as {
      version: string;
    };
    define[options.versionGlobal] = JSON.stringify(version);
  }
  return defineConfig({
    entry: options.entry,
    format: ['esm'],
    dts: options.dts === false ? false : options.dtsEntry ? { entry: options.dtsEntry } : true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    define,
    ...(options.external ? { external: options.external } : {}),
    ...(options.bundle ? { noExternal: options.bundle } : {}),
    ...(options.alias
      ? {
          esbuildOptions(esbuild) {
            esbuild.alias = { ...esbuild.alias, ...options.alias };
          },
        }
      : {}),
  }) as Options | Options[];
}
