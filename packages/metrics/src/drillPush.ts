import { BackupError } from '@backup/core';
import type { Registry } from 'prom-client';
import { PROMETHEUS_TEXT_CONTENT_TYPE, renderMetrics } from './renderMetrics.js';

/** Grouping label that keeps drill metrics in a Pushgateway group of their own. */
export const DRILL_GROUPING_LABEL = { name: 'drill', value: 'restore' } as const;

/** Options of {@link pushDrillMetrics}. */
export interface PushDrillMetricsOptions {
  /** Pushgateway base URL, `http(s)://[user:password@]host:port[/route-prefix]` (as for `pushMetrics`). */
  url: string;
  /** Job name: the `job` of the grouping key and of the series pushed. */
  job: string;
  /** Registry holding the drill series (`DrillMetrics.registry`). */
  registry: Registry;
  /** Request timeout in milliseconds; default 10 000. */
  timeoutMs?: number | undefined;
}

/** Result of {@link pushDrillMetrics}. */
export interface PushDrillMetricsResult {
  /** The group URL pushed to, without credentials. */
  url: string;
  /** Number of samples pushed. */
  samples: number;
}

/**
 * Pushes one job's restore-drill series with `PUT` to the Pushgateway group
 * `/metrics/job/<job>/drill/restore`, a group of their own: the backup runs `PUT` the group
 * `/metrics/job/<job>` (see `pushMetrics`), which replaces every metric of THAT group only, so a
 * daily backup never erases the weekly drill's result, and a drill never touches the backup metrics.
 * The series carry `job="<job>"` and the grouping label `drill="restore"`. Only series labelled
 * `job="<job>"` are sent.
 *
 * Errors (`BackupError`, as `pushMetrics`): `CONFIG_INVALID` for a bad URL, an empty job, nothing to
 * push, or a 4xx answer; `SOURCE_FAILED` when the Pushgateway is unreachable or answers 5xx. Messages
 * and `details` never contain credentials.
 */
export async function pushDrillMetrics(options: PushDrillMetricsOptions): Promise<PushDrillMetricsResult> {
  if (typeof options.job !== 'string' || options.job === '') {
    throw new BackupError('CONFIG_INVALID', 'Pushgateway push needs a non-empty job name');
  }
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch (error) {
    throw new BackupError(
      'CONFIG_INVALID',
      'Pushgateway URL is not a valid URL (expected http(s)://host:port)',
      {
        cause: error,
      },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BackupError('CONFIG_INVALID', 'Pushgateway URL must use http or https');
  }
  const headers: Record<string, string> = { 'content-type': PROMETHEUS_TEXT_CONTENT_TYPE };
  if (parsed.username || parsed.password) {
    const user = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    headers['authorization'] = `Basic ${Buffer.from(user).toString('base64')}`;
  }
  const target =
    `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(options.job)}` +
    `/${DRILL_GROUPING_LABEL.name}/${DRILL_GROUPING_LABEL.value}`;
  const details = { url: target, job: options.job, method: 'PUT' };
  const { text, samples } = await renderMetrics({ registry: options.registry, job: options.job });
  if (samples === 0) {
    throw new BackupError('CONFIG_INVALID', `No drill series for job ${options.job} to push to ${target}`, {
      details,
    });
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  let response: Response;
  let body: string;
  try {
    response = await fetch(target, {
      method: 'PUT',
      headers,
      body: text,
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? (error as Error).message);
    throw new BackupError('SOURCE_FAILED', `Pushgateway push to ${target} failed: ${reason}`, {
      cause: error,
      details,
    });
  }
  if (!response.ok) {
    throw new BackupError(
      response.status < 500 ? 'CONFIG_INVALID' : 'SOURCE_FAILED',
      `Pushgateway PUT ${target} answered ${response.status} ${response.statusText}: ${body.trim().slice(0, 500)}`,
      { details: { ...details, status: response.status } },
    );
  }
  return { url: target, samples };
}
