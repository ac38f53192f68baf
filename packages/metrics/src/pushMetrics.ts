import { BackupError } from '@backup/core';
import type { Registry } from 'prom-client';
import { PROMETHEUS_TEXT_CONTENT_TYPE, renderMetrics } from './renderMetrics.js';

/** Options of {@link pushMetrics}. */
export interface PushMetricsOptions {
  /**
   * Pushgateway base URL, `http(s)://[user:password@]host:port[/route-prefix]`. Userinfo becomes
   * HTTP basic auth (percent-decoded) and never appears in errors. Query and fragment are ignored.
   */
  url: string;
  /** Job name: the grouping key (`/metrics/job/<job>`) and the series pushed (`job` label). */
  job: string;
  /** Registry holding the job's series (e.g. `BackupMetrics.registry`); it may hold other jobs too. */
  registry: Registry;
  /**
   * `PUT` (default) replaces the job's whole group; `POST` replaces only the metric names in this
   * push and keeps the group's other metrics. See {@link pushMetrics} for why `PUT` is the default.
   */
  method?: 'PUT' | 'POST' | undefined;
  /** Request timeout in milliseconds; default 10 000. */
  timeoutMs?: number | undefined;
  /**
   * Extra grouping-key labels after `job` (e.g. `{ drill: 'restore' }` ->
   * `/metrics/job/<job>/drill/restore`): a separate group that a `PUT` of the job's own group never
   * replaces. Default none.
   */
  grouping?: Readonly<Record<string, string>> | undefined;
}

/** Result of {@link pushMetrics}. */
export interface PushMetricsResult {
  /** The group URL pushed to, without credentials. */
  url: string;
  method: 'PUT' | 'POST';
  /** Number of samples pushed. */
  samples: number;
}

/**
 * Pushes one job's series to a Prometheus Pushgateway under the grouping key `job=<job>` and nothing
 * else, so jobs never overwrite each other (one group per job; no `instance`, so a rescheduled pod
 * replaces its predecessor's group instead of adding one). Only series labelled `job="<job>"` are
 * sent (the Pushgateway would rewrite any other job label to the grouping key's, so another job's
 * series must not travel in this push); they are rendered by `renderMetrics` in text format 0.0.4.
 *
 * `PUT` vs `POST` (Pushgateway semantics): `PUT` replaces every metric of the group, `POST` only the
 * metric names present in the push. `PUT` is the default because the group then always equals what
 * this run knows: series of removed units or renamed metrics disappear instead of lingering forever.
 * Its cost is that a metric missing from the push is deleted: a fresh process whose run failed has
 * no `backup_last_success_timestamp_seconds` of its own, so call `BackupMetrics.seedLastSuccess`
 * (from the catalog's newest complete set) before pushing; the failure push then carries the last
 * success (kept), `backup_status` 0 and the attempt time, and the 48 h alert keeps working even after
 * a Pushgateway restart without persistence. `POST` keeps the previous push's last success without
 * seeding, but only while the Pushgateway remembers it, and never drops stale series.
 *
 * A `PUT` with nothing to push would delete the group, so it is refused (`CONFIG_INVALID`); a `POST`
 * with nothing to push only updates the group's `push_time_seconds`.
 *
 * Errors (`BackupError`; callers log them as warnings, a push failure must not fail a backup; core
 * has no metrics-specific code, so these two are used):
 * - `CONFIG_INVALID`: `url` is not an http(s) URL, `job` is empty, nothing to `PUT`, or the
 *   Pushgateway rejected the request with 4xx (400 = malformed or inconsistent metrics, e.g. a
 *   metric of the same name with another type pushed by someone else; 401/403 = credentials;
 *   404/405 = wrong URL or route prefix). The message includes the response body.
 * - `SOURCE_FAILED`: the Pushgateway could not be reached (DNS, connection refused, timeout) or
 *   answered 5xx. The message names the group URL without credentials; `cause` holds the vendor
 *   error; `details` holds `url`, `job`, `method` and `status` (when there was a response).
 */
export async function pushMetrics(options: PushMetricsOptions): Promise<PushMetricsResult> {
  const method = options.method ?? 'PUT';
  if (method !== 'PUT' && method !== 'POST') {
    throw new BackupError('CONFIG_INVALID', `Pushgateway push method must be PUT or POST, not ${method}`);
  }
  if (typeof options.job !== 'string' || options.job === '') {
    throw new BackupError('CONFIG_INVALID', 'Pushgateway push needs a non-empty job name');
  }
  const { target, authorization } = groupUrl(options.url, options.job, options.grouping ?? {});
  const details = { url: target, job: options.job, method };
  const { text, samples } = await renderMetrics({ registry: options.registry, job: options.job });
  if (samples === 0 && method === 'PUT') {
    throw new BackupError(
      'CONFIG_INVALID',
      `Nothing to push for job ${options.job} (no series labelled job="${options.job}"); ` +
        `a PUT with an empty body would delete the group at ${target}`,
      { details },
    );
  }
  const headers: Record<string, string> = { 'content-type': PROMETHEUS_TEXT_CONTENT_TYPE };
  if (authorization) headers['authorization'] = authorization;
  let response: Response;
  let body: string;
  try {
    response = await fetch(target, {
      method,
      headers,
      body: text,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    body = await response.text();
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${options.timeoutMs ?? 10_000} ms`
        : describeFetchError(error);
    throw new BackupError('SOURCE_FAILED', `Pushgateway push to ${target} failed: ${reason}`, {
      cause: error,
      details,
    });
  }
  if (!response.ok) {
    const code = response.status >= 400 && response.status < 500 ? 'CONFIG_INVALID' : 'SOURCE_FAILED';
    throw new BackupError(
      code,
      `Pushgateway ${method} ${target} answered ${response.status} ${response.statusText}: ${body.trim().slice(0, 500)}`,
      { details: { ...details, status: response.status } },
    );
  }
  return { url: target, method, samples };
}

/**
 * Group URL (`<base>/metrics/job/<job>[/<label>/<value>...]`, credentials removed) and the
 * basic-auth header, if any.
 */
function groupUrl(
  url: string,
  job: string,
  grouping: Readonly<Record<string, string>>,
): { target: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
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
    throw new BackupError(
      'CONFIG_INVALID',
      `Pushgateway URL must use http or https, not ${parsed.protocol.replace(/:$/, '')}`,
    );
  }
  const authorization =
    parsed.username || parsed.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
      : undefined;
  const prefix = parsed.pathname.replace(/\/+$/, '');
  // A value with `/` cannot travel URI-encoded; the Pushgateway's `@base64` form handles any value.
  const segment = (name: string, value: string) =>
    value.includes('/')
      ? `${name}@base64/${Buffer.from(value).toString('base64url')}`
      : `${name}/${encodeURIComponent(value)}`;
  const labels = Object.entries(grouping)
    .map(([name, value]) => `/${segment(name, value)}`)
    .join('');
  const target = `${parsed.origin}${prefix}/metrics/${segment('job', job)}${labels}`;
  return authorization ? { target, authorization } : { target };
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error.message;
}
