import type { Readable } from 'node:stream';
import { BackupError, type EngineContext } from '@backup/core';
import { consumeArtifact } from './consumeArtifact.js';
import { Crc64 } from './crc64.js';
import { buildDumpPayload } from './dumpPayload.js';
import { RdbFormatError } from './RdbFormatError.js';
import { type RdbEntry, RdbStreamParser } from './RdbStreamParser.js';
import { RestoreQueue } from './RestoreQueue.js';
import { keyLabel, type RestoreTarget } from './RestoreTarget.js';

/** Input of {@link restoreRdb}. */
export interface RestoreRdbInput {
  /** Unit name, for messages. */
  unit: string;
  /** Databases the unit's metadata recorded keys in (checked for emptiness before anything is written). */
  recordedDatabases: number[];
  /** Modules the source had loaded (unit metadata); any makes the restore refuse up front. */
  modules: string[];
  /** Opens the RDB plaintext (checksums verified while streaming). */
  open(): Promise<Readable>;
  target: RestoreTarget;
  /** Overwrite existing keys (`RESTORE ... REPLACE`) and allow non-empty databases. */
  replace: boolean;
  /** Restore only these databases; default all. */
  databases: readonly number[] | undefined;
  /** Keys per RESTORE pipeline. */
  batchSize: number;
  /**
   * Target databases earlier units of the same restore run already checked and filled (cluster
   * masters share db0): not checked for emptiness again. Databases this call checks are added.
   */
  claimed: Set<number>;
}

/**
 * Restores an RDB artifact over the network into a running server: parses the RDB
 * ({@link RdbStreamParser}) into per-key DUMP payloads (`<type><value><version><CRC64>`, built
 * from the raw value bytes without re-encoding, protocols.md 2.3) and sends them as pipelined
 * `RESTORE key <expireAt> <payload> ABSTTL [REPLACE] [IDLETIME|FREQ]`. Function libraries are
 * restored first with one `FUNCTION RESTORE` of the same `FUNCTION2` records (the layout of
 * `FUNCTION DUMP`). Keys whose expiry passed are sent too: Redis drops them (ABSTTL in the past).
 *
 * Safety: every database the backup recorded keys in (and each further database the RDB turns out
 * to hold, before its first key) must be empty unless `replace`, except databases an earlier unit
 * of the same restore run filled (`claimed`). Module values (FalkorDB graphs...)
 * cannot be restored this way: FalkorDB stores a graph as several RDB "virtual keys" that only its
 * RDB loader reassembles, so a source with modules is refused before anything is written, and a
 * module key met anyway stops the restore; both errors point to the file-placement procedure
 * (`toFile`, docs/redis.md) or keys mode.
 *
 * @returns metadata: `restoredKeys`, `expired` (sent but already past their expiry), `keys` (RESTOREs
 *   per database), `skippedKeys` (filtered databases),
 *   `functions`, `rdbVersion`, `checksum`.
 * @throws BackupError `TARGET_NOT_EMPTY`, `RESTORE_FAILED` (parse error, refused RESTORE, module
 *   values), the stream's error (`CHECKSUM_MISMATCH`...), `ABORTED`.
 */
export async function restoreRdb(
  input: RestoreRdbInput,
  ctx: EngineContext,
): Promise<Record<string, unknown>> {
  const { target } = input;
  if (input.modules.length > 0) {
    throw moduleError(input.unit, `the source had module(s) ${input.modules.join(', ')} loaded`);
  }
  const inScope = (db: number) => input.databases === undefined || input.databases.includes(db);
  const checked = input.claimed;
  const initial = input.recordedDatabases.filter((db) => inScope(db) && !checked.has(db));
  await target.assertEmpty(initial, input.replace, input.unit);
  for (const db of initial) checked.add(db);

  const parser = new RdbStreamParser();
  const queue = new RestoreQueue(target, {
    replace: input.replace,
    busy: 'fail',
    batchSize: input.batchSize,
    signal: ctx.signal,
  });
  const functions: Buffer[] = [];
  let functionsRestored = false;
  let skipped = 0;
  let expired = 0;
  const flushFunctions = async () => {
    functionsRestored = true;
    if (functions.length === 0) return;
    const body = Buffer.concat(functions);
    const payload = Buffer.allocUnsafe(body.length + 10);
    body.copy(payload);
    payload.writeUInt16LE(parser.rdbVersion ?? 0, body.length);
    new Crc64().update(payload, 0, body.length + 2).writeLE(payload, body.length + 2);
    await target.restoreFunctions(payload, input.replace);
  };
  const handle = async (entries: RdbEntry[]) => {
    for (const entry of entries) {
      if (entry.kind === 'function') {
        functions.push(Buffer.from(entry.raw));
        continue;
      }
      if (entry.kind === 'module-aux') continue;
      if (!functionsRestored) await flushFunctions();
      if (!inScope(entry.db)) {
        skipped++;
        continue;
      }
      if (entry.module !== undefined) {
        throw moduleError(
          input.unit,
          `key ${keyLabel(entry.key)} in db${entry.db} is a ${entry.module} module value`,
        );
      }
      if (!checked.has(entry.db)) {
        await queue.settle();
        await target.assertEmpty([entry.db], input.replace, input.unit);
        checked.add(entry.db);
      }
      if (entry.expireAt !== undefined && entry.expireAt <= Date.now()) expired++;
      await queue.add(entry.db, {
        key: entry.key,
        payload: buildDumpPayload(entry.type, entry.value, parser.rdbVersion!),
        expireAt: entry.expireAt,
        idle: entry.idle,
        freq: entry.freq,
      });
    }
  };

  const stream = await input.open();
  try {
    await consumeArtifact(
      stream,
      async (chunk) => handle(parser.push(chunk)),
      (e) => e instanceof RdbFormatError,
    );
    const end = parser.end();
    await handle(end.entries);
    if (!functionsRestored) await flushFunctions();
    const counts = await queue.finish();
    return {
      restoredKeys: counts.restored - expired,
      expired,
      keys: { ...queue.perDb },
      skippedKeys: skipped,
      functions: end.summary.functions,
      rdbVersion: end.summary.rdbVersion,
      checksum: end.summary.checksum,
    };
  } catch (error) {
    await queue.settle();
    if (error instanceof RdbFormatError) {
      throw new BackupError(
        'RESTORE_FAILED',
        `Unit ${input.unit}: the RDB artifact is invalid: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

function moduleError(unit: string, why: string): BackupError {
  return new BackupError(
    'RESTORE_FAILED',
    `Unit ${unit} cannot be restored over the network from its RDB: ${why}. Module values (FalkorDB graphs are ` +
      'stored as several RDB "virtual keys") are only loaded by the module itself at startup: restore with ' +
      'toFile (CLI --to-file PATH) and follow the file-placement procedure of docs/redis.md (stop the server, ' +
      'place dump.rdb, start it with the module loaded), or back up in keys mode, whose DUMP payloads carry ' +
      'module values and restore over the network',
    { details: { unit } },
  );
}
