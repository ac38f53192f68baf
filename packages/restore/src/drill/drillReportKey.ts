import { formatSetId, joinKey } from '@backup/core';

/** Object names of drill reports inside a set: `drill-20260125-040000.json`. */
export const DRILL_REPORT_NAME = /^drill-\d{8}-\d{6}\.json$/;

/** Key of a drill report: `<job>/<set-id>/drill-<YYYYMMDD-HHMMSS>.json` (the drill's start, UTC). */
export function drillReportKey(job: string, setId: string, time: Date): string {
  return joinKey(job, setId, `drill-${formatSetId(time)}.json`);
}
