import { BackupError } from '@backup/core';

const PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML document with values
 * from `env`; `$$` is a literal `$`. Interpolation happens after YAML parsing, so a secret containing
 * YAML syntax cannot change the document's structure.
 *
 * Throws `CONFIG_INVALID` naming the variable and the field (`jobs[0].url`) when a variable is unset
 * (or empty) and has no default.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$$') return '$';
      const found = env[name!];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new BackupError(
        'CONFIG_INVALID',
        `${path || '(root)'}: environment variable ${name} is not set (referenced as \${${name}}); set it or give a default with \${${name}:-value}`,
        { details: { field: path, variable: name } },
      );
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}
