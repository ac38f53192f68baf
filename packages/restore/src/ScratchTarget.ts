/** Where a restore drill restores to: a scratch target on a drill server (see `runDrill`). */
export interface ScratchTarget {
  /** Drill server URL in the engine's form (`postgres://user@drill-db:5432/postgres`). */
  url: string;
  /**
   * Name prefix of the scratch targets the drill creates and removes, e.g. `drill_`: the PostgreSQL
   * adapter restores database `outline` of job `postgresql` as `drill_postgresql_outline`. Must be
   * non-empty: anything named with it on the drill server may be dropped by a drill.
   */
  prefix: string;
  /** Job being drilled (part of scratch names, so drills of two jobs never collide). */
  job: string;
}
