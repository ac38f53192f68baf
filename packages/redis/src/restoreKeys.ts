import type { Readable } from 'node:stream';
import { BackupError, type EngineContext } from '@backup/core';
import { consumeArtifact } from './consumeArtifact.js';
import { KeysArtifactParser, type KeysArtifactRecord } from './KeysArtifactParser.js';
import { KeysFormatError } from './KeysFormatError.js';
import { RestoreQueue } from './RestoreQueue.js';
import type { RestoreTarget } from './RestoreTarget.js';

/** Input of {@link restoreKeys}. */
export interface RestoreKeysInput {
  unit: string;
  /** Database the records go to (the unit's). */
  db: number;
  open(): Promise<Readable>;
  target: RestoreTarget;
  replace: boolean;
  batchSize: number;
  /** Target databases earlier units of the same restore run checked and filled: not checked again. */
  claimed: Set<number>;
}

/**
 * Restores a keys-mode artifact (docs/format.md) into database `db` of the target: pipelined
 * `RESTORE key <expireAt or 0> <payload> ABSTTL [REPLACE]` (protocols.md 2.3), so expiries are
 * kept exactly (absolute Unix ms). The database must be empty unless `replace` (or an earlier unit
 * of the same restore run filled it: `claimed`, e.g. the masters of a cluster backup). A key the export
 * listed twice (SCAN can) is restored again with REPLACE and counted in `duplicates`. Records whose
 * expiry passed restore nothing (Redis drops them) and are counted in `expired`. The trailer is
 * required: a truncated artifact fails after the keys before the cut were restored.
 *
 * @returns metadata: `restoredKeys`, `expired`, `duplicates`, `records`, `db`.
 * @throws BackupError `TARGET_NOT_EMPTY`, `RESTORE_FAILED`, the stream's error, `ABORTED`.
 */
export async function restoreKeys(
  input: RestoreKeysInput,
  ctx: EngineContext,
): Promise<Record<string, unknown>> {
  if (!input.claimed.has(input.db)) {
    await input.target.assertEmpty([input.db], input.replace, input.unit);
    input.claimed.add(input.db);
  }
  const parser = new KeysArtifactParser({ checkPayloads: false });
  const queue = new RestoreQueue(input.target, {
    replace: input.replace,
    busy: 'replace',
    batchSize: input.batchSize,
    signal: ctx.signal,
  });
  let expired = 0;
  const handle = async (records: KeysArtifactRecord[]) => {
    const now = Date.now();
    for (const record of records) {
      if (record.expireAt !== undefined && record.expireAt <= now) expired++;
      await queue.add(input.db, { key: record.key, payload: record.dump, expireAt: record.expireAt });
    }
  };
  const stream = await input.open();
  try {
    await consumeArtifact(
      stream,
      async (chunk) => handle(parser.push(chunk)),
      (e) => e instanceof KeysFormatError,
    );
    const trailer = parser.end();
    const counts = await queue.finish();
    return {
      db: input.db,
      records: trailer.records,
      restoredKeys: counts.restored - expired,
      expired,
      duplicates: counts.duplicates,
    };
  } catch (error) {
    await queue.settle();
    if (error instanceof KeysFormatError) {
      throw new BackupError(
        'RESTORE_FAILED',
        `Unit ${input.unit}: the keys artifact is invalid: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
