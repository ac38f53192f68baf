import type { UnitCheck } from '../UnitCheck.js';

/** Format version of {@link DrillReport} files. */
export const DRILL_REPORT_FORMAT_VERSION = 1;

/** One unit of a drill. */
export interface DrilledUnit {
  unit: string;
  kind: string;
  /** The scratch target it was restored to (`drill_postgresql_outline`). */
  target: string;
  /** Seconds its restore took (absent when it did not run). */
  restoreSeconds?: number | undefined;
  /** The post-restore check (absent when the restore failed). */
  check?: UnitCheck | undefined;
  /** Why it failed (restore or check). */
  error?: { code: string; message: string } | undefined;
}

/**
 * A restore drill's result, stored as `<job>/<set-id>/drill-<YYYYMMDD-HHMMSS>.json` next to the set
 * it drilled (documented in docs/restore.md). The set's `manifest.json` stays its completeness
 * marker; prune deletes reports with their set.
 */
export interface DrillReport {
  formatVersion: typeof DRILL_REPORT_FORMAT_VERSION;
  /** Always `restore-drill`. */
  kind: 'restore-drill';
  job: string;
  /** The set drilled (the job's latest complete set when the drill ran). */
  setId: string;
  engine: string;
  /** ISO 8601 UTC. */
  startedAt: string;
  finishedAt: string;
  /** True when every unit was restored and every check passed. */
  ok: boolean;
  /** The first failure (`code`: a `BackupError` code such as `RESTORE_FAILED`, `CHECKSUM_MISMATCH`, `VERIFY_FAILED`). */
  error?: { code: string; message: string } | undefined;
  /**
   * The measured RTO: seconds spent restoring the units (download, decrypt, decompress and engine
   * restore; without the checks and the scratch cleanup).
   */
  rtoSeconds: number;
  durations: {
    restoreSeconds: number;
    checkSeconds: number;
    /** Everything, cleanup included. */
    totalSeconds: number;
  };
  /** Bytes of the units drilled: as stored, and as restored (plaintext). */
  bytes: { stored: number; plaintext: number };
  /** Where: the drill server (no credentials), the name prefix, and whether every scratch target was removed. */
  scratch: { server: string; prefix: string; removed: boolean };
  units: DrilledUnit[];
  tool: { name: string; version: string };
}
