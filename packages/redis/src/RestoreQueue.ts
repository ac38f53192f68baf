import { BackupError } from '@backup/core';
import type { BusyKeyPolicy, RestoreCounts, RestoreItem, RestoreTarget } from './RestoreTarget.js';

/** Options of {@link RestoreQueue}. */
export interface RestoreQueueOptions {
  replace: boolean;
  busy: BusyKeyPolicy;
  /** Keys per pipeline; default 500. */
  batchSize?: number | undefined;
  /** Pipelines in flight at once (overlaps parsing with the network); default 2. */
  inFlight?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Batches keys into pipelined `RESTORE`s on a {@link RestoreTarget}, with at most `inFlight`
 * batches outstanding: `add` awaits only when that many are in flight (back-pressure on the
 * artifact stream). The first failure is rethrown by the next `add` or by `finish`.
 */
export class RestoreQueue {
  private readonly target: RestoreTarget;
  private readonly options: RestoreQueueOptions;
  private readonly batchSize: number;
  private readonly inFlight: number;
  private batch: RestoreItem[] = [];
  private batchDb = 0;
  private readonly pending: Array<Promise<void>> = [];
  private failure: unknown;
  /** Totals so far (of completed batches). */
  readonly counts: RestoreCounts = { restored: 0, duplicates: 0 };
  /** Restored keys per database (`db0`...). */
  readonly perDb: Record<string, number> = {};

  constructor(target: RestoreTarget, options: RestoreQueueOptions) {
    this.target = target;
    this.options = options;
    this.batchSize = options.batchSize ?? 500;
    this.inFlight = options.inFlight ?? 2;
  }

  async add(db: number, item: RestoreItem): Promise<void> {
    this.rethrow();
    if (this.batch.length > 0 && db !== this.batchDb) await this.send();
    this.batchDb = db;
    this.batch.push(item);
    if (this.batch.length >= this.batchSize) await this.send();
  }

  /** Sends what is left and waits for every batch; returns the totals. */
  async finish(): Promise<RestoreCounts> {
    if (this.batch.length > 0) await this.send();
    await Promise.all(this.pending);
    this.rethrow();
    return this.counts;
  }

  /** Waits for batches in flight without sending (after a failure elsewhere). */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }

  private async send(): Promise<void> {
    if (this.options.signal?.aborted) throw new BackupError('ABORTED', 'Restore aborted');
    const items = this.batch;
    const db = this.batchDb;
    this.batch = [];
    const task = this.target.restore(db, items, this.options.replace, this.options.busy).then(
      (counts) => {
        this.counts.restored += counts.restored;
        this.counts.duplicates += counts.duplicates;
        this.perDb[`db${db}`] = (this.perDb[`db${db}`] ?? 0) + counts.restored;
      },
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    this.pending.push(task);
    if (this.pending.length >= this.inFlight) await this.pending.shift();
    this.rethrow();
  }

  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
