import { text } from 'node:stream/consumers';
import { BackupError, parseSetId, type StorageBackend } from '@backup/core';
import type { DrillReport } from './DrillReport.js';
import { DRILL_REPORT_NAME } from './drillReportKey.js';

/** A drill report found in storage. */
export interface DrillReportListing {
  /** The set it drilled. */
  setId: string;
  /** Its storage key. */
  key: string;
}

/** Every drill report of `job`, newest first (by set, then by drill time). One listing of `<job>/`. */
export async function listDrillReports(storage: StorageBackend, job: string): Promise<DrillReportListing[]> {
  const found: DrillReportListing[] = [];
  for await (const object of storage.list(`${job}/`)) {
    const parts = object.key.split('/');
    if (parts.length === 3 && parseSetId(parts[1]!) && DRILL_REPORT_NAME.test(parts[2]!)) {
      found.push({ setId: parts[1]!, key: object.key });
    }
  }
  return found.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
}

/** Reads one drill report. Throws `NOT_FOUND`, or `MANIFEST_INVALID` when it is not a drill report. */
export async function readDrillReport(storage: StorageBackend, key: string): Promise<DrillReport> {
  const body = await text(await storage.get(key));
  let report: DrillReport;
  try {
    report = JSON.parse(body) as DrillReport;
  } catch (error) {
    throw new BackupError('MANIFEST_INVALID', `${key} is not valid JSON`, { cause: error });
  }
  if (report?.kind !== 'restore-drill' || typeof report.rtoSeconds !== 'number') {
    throw new BackupError('MANIFEST_INVALID', `${key} is not a restore drill report`);
  }
  return report;
}

/**
 * The newest passed drill of `job` (its measured RTO and bytes estimate restore times), or
 * `undefined` when there is none. Unreadable reports are skipped.
 */
export async function latestPassedDrill(
  storage: StorageBackend,
  job: string,
): Promise<DrillReport | undefined> {
  for (const listing of await listDrillReports(storage, job)) {
    const report = await readDrillReport(storage, listing.key).catch(() => undefined);
    if (report?.ok) return report;
  }
  return undefined;
}
