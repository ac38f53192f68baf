import { createRequire } from 'node:module';

type AgeModule = typeof import('age-encryption');

let loaded: AgeModule | undefined;

/**
 * age-encryption, loaded on first use rather than when `@backup/core` is imported: it (with
 * @noble/*, @scure/base) costs about 90 ms of module loading (measured, Node 24), which a backup
 * without encryption (every run of the bins, which import `@backup/core`) need not pay.
 *
 * Synchronous (`require` of an ES module, Node >= 22.12, age-encryption has no top-level await)
 * because the key checks of `createAgeEncryptor`/`createAgeDecryptor` are synchronous and stay so.
 * Node shares one module instance between this `require` and any `import` of the package.
 *
 * @throws the loader's error when the package is not installed (`ERR_MODULE_NOT_FOUND`).
 */
export function ageModule(): AgeModule {
  if (loaded === undefined) {
    loaded = createRequire(import.meta.url)('age-encryption') as AgeModule;
  }
  return loaded;
}
