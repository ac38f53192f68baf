/** Suffix of the job holding safety backups: `postgresql` -> `postgresql-pre-restore`. */
export const SAFETY_JOB_SUFFIX = '-pre-restore';

/**
 * The job a restore of `job` writes its safety backup to: `<job>-pre-restore`; a safety job's own
 * (restoring a safety set over a target) is itself, so safety sets never nest.
 */
export function safetyJobName(job: string): string {
  return baseJobOfSafetyJob(job) === undefined ? `${job}${SAFETY_JOB_SUFFIX}` : job;
}

/**
 * The configured job a safety job belongs to (`postgresql-pre-restore` -> `postgresql`), or
 * `undefined` for a name that is not a safety job. Restoring a safety set uses that job's engine
 * and connection settings.
 */
export function baseJobOfSafetyJob(job: string): string | undefined {
  return job.endsWith(SAFETY_JOB_SUFFIX) && job.length > SAFETY_JOB_SUFFIX.length
    ? job.slice(0, -SAFETY_JOB_SUFFIX.length)
    : undefined;
}
