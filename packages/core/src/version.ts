declare const __BACKUP_CORE_VERSION__: string | undefined;

/** Name recorded in manifests as the writing tool. */
export const TOOL_NAME = '@backup/core';
/** Version recorded in manifests: `@backup/core`'s package.json version, injected at build time. */
export const TOOL_VERSION: string =
  typeof __BACKUP_CORE_VERSION__ === 'string' ? __BACKUP_CORE_VERSION__ : '0.0.0-dev';
