import { backupTsup } from '../../tooling/tsup.preset.ts';

// src/wal/walSpool.ts is also an entry of its own (`@backup/postgres/wal-spool`, Node built-ins
// only): `backup wal-push` checks its spool markers before loading the rest of the CLI.
// src/postgresJobOptionsSchema.ts is `@backup/postgres/options` (zod only) for @backup/config's schema.
export default backupTsup({
  entry: ['src/index.ts', 'src/postgresJobOptionsSchema.ts', 'src/wal/walSpool.ts'],
});
