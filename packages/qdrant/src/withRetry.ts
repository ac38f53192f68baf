import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@backup/core';
import { classifyFailure } from './classifyFailure.js';

/** How often and how patiently an idempotent request is repeated. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = none). */
  retries: number;
  /** First delay in milliseconds, doubled per retry, capped at 30 s; `Retry-After` wins (max 60 s). */
  delayMs: number;
}

/**
 * Runs `attempt` and repeats it while it fails with a transient error (see `classifyFailure`:
 * no answer, HTTP 429/502/503/504), up to `policy.retries` times with exponential backoff. Use it
 * ONLY for requests that cannot duplicate work: reads, deletes, upserts of explicit ids, and the
 * request part of a download before any byte was handed on. Never for snapshot creation or
 * recovery. Throws the last error; an aborted `signal` stops waiting at once (`AbortError`).
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  options: { signal: AbortSignal; logger?: Logger | undefined; what: string },
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const failure = classifyFailure(error);
      if (!failure.transient || n >= policy.retries || options.signal.aborted) throw error;
      const delay =
        failure.retryAfterMs !== undefined
          ? Math.min(failure.retryAfterMs, 60_000)
          : Math.min(policy.delayMs * 2 ** n, 30_000);
      options.logger?.warn(
        {
          what: options.what,
          attempt: n + 1,
          retries: policy.retries,
          delayMs: delay,
          reason: failure.message,
        },
        'transient Qdrant error, retrying',
      );
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}
