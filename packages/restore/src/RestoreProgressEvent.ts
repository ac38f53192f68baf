/**
 * Progress of a restore phase, for a status line (`formatProgress`): `verify` (artifacts read and
 * checked before the restore, stored bytes), `safety-backup` (the target's current state backed up,
 * plaintext bytes, total unknown), `restore` (artifacts streamed into the target, stored bytes).
 */
export interface RestoreProgressEvent {
  phase: 'verify' | 'safety-backup' | 'restore';
  /** The artifact being read or written. */
  artifact: string;
  /** Bytes done in this phase so far. */
  bytes: number;
  /** Bytes of the whole phase, when known. */
  totalBytes?: number | undefined;
  /** Average rate of the phase so far. */
  bytesPerSecond: number;
  /** Seconds left at that rate, when the total is known and the rate is not zero. */
  etaSeconds?: number | undefined;
}
