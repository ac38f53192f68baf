import { expect, it } from 'vitest';
import { startPostgres } from '../src/postgres.js';

it('starts PostgreSQL with password auth on a free port', async () => {
  const pg = await startPostgres();
  try {
    const rows = await pg.query<{ v: string }>('select current_setting($$server_version_num$$) as v');
    expect(Number(rows[0]!.v)).toBeGreaterThan(100000);
  } finally {
    await pg.stop();
  }
});
