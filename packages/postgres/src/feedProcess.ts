import type { Readable } from 'node:stream';
import type { SpawnedSink } from '@backup/core';

/** Options of {@link feedProcess}. */
export interface FeedProcessOptions {
  /**
   * When the child FAILS before the source ended: `true` keeps reading the source to its end
   * without writing (so its checksums are still checked: verify), `false` stops reading (restore).
   * When the child exits 0 early, the source is always read to its end.
   */
  drainAfterExit: boolean;
}

/** How {@link feedProcess} ended; never throws. */
export interface FeedOutcome {
  /** The child's stdout when it exited 0. */
  stdout?: string;
  /** Why the child failed (from `SpawnedSink.done`). */
  childError?: unknown;
  /** Why the source failed (e.g. `CHECKSUM_MISMATCH`); the child was killed then. */
  sourceError?: unknown;
}

/**
 * Streams `source` into the stdin of a running child (pg_restore, psql) with backpressure. The
 * LAST chunk is held back until the source has ended successfully: the artifact readers check
 * size and sha256 only at the end of the stream, so the child can never see a complete input
 * whose checksum fails. When the source fails, the child is killed (SIGTERM) before it got the
 * whole input, so `pg_restore --single-transaction` rolls back instead of committing. Resolves
 * once the child has exited.
 */
export async function feedProcess(
  source: Readable,
  child: SpawnedSink,
  options: FeedProcessOptions,
): Promise<FeedOutcome> {
  const outcome: FeedOutcome = {};
  let exited = false;
  let wake: (() => void) | undefined;
  const settled = child.done
    .then(
      (stdout) => {
        outcome.stdout = stdout;
      },
      (error: unknown) => {
        outcome.childError = error;
      },
    )
    .finally(() => {
      exited = true;
      wake?.();
    });
  const { stdin } = child;
  const write = async (chunk: Buffer): Promise<void> => {
    if (exited || stdin.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        stdin.removeListener('drain', finish);
        stdin.removeListener('close', finish);
        stdin.removeListener('error', finish);
        wake = undefined;
        resolve();
      };
      wake = finish;
      stdin.on('drain', finish);
      stdin.on('close', finish);
      stdin.on('error', finish);
      if (exited) finish();
    });
  };
  try {
    let held: Buffer | undefined;
    for await (const chunk of source) {
      if (exited) {
        // A child that failed ends the feed (unless draining); one that succeeded early still
        // lets the source run to its end, so a checksum failure is never missed.
        if (!options.drainAfterExit && outcome.childError !== undefined) break;
        continue;
      }
      if (held) await write(held);
      held = chunk as Buffer;
    }
    if (held && !exited) await write(held);
    if (!exited) stdin.end();
  } catch (error) {
    outcome.sourceError = error;
    if (!exited) child.kill();
  }
  await settled;
  return outcome;
}
