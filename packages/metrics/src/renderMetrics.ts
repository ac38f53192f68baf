import type { Registry } from 'prom-client';

/** Options of {@link renderMetrics}. */
export interface RenderMetricsOptions {
  /** The registry to render (e.g. `BackupMetrics.registry`). */
  registry: Registry;
  /**
   * Keep only series whose `job` label equals this value (series without a `job` label are
   * dropped too). Default: every series.
   */
  job?: string | undefined;
}

/** Result of {@link renderMetrics}. */
export interface RenderedMetrics {
  /** Prometheus text exposition format 0.0.4, ending with a newline (empty when `samples` is 0). */
  text: string;
  /** Number of sample lines in `text`. */
  samples: number;
}

/** `Content-Type` of {@link RenderedMetrics.text}. */
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Renders a registry in the Prometheus text format 0.0.4 (what the Pushgateway and node-exporter's
 * textfile collector read), whatever the registry's own content type, optionally restricted to one
 * job's series. Metric families left without samples are omitted entirely (no `# HELP`/`# TYPE`
 * lines), so an unset gauge never appears as an empty family. Sample timestamps are never written
 * (the Pushgateway rejects them).
 */
export async function renderMetrics(options: RenderMetricsOptions): Promise<RenderedMetrics> {
  const families = await options.registry.getMetricsAsJSON();
  const lines: string[] = [];
  let samples = 0;
  for (const family of families) {
    const values = family.values.filter(
      (v) => options.job === undefined || (v.labels as Record<string, unknown>)['job'] === options.job,
    );
    if (values.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const value of values) {
      const name = (value as { metricName?: string }).metricName ?? family.name;
      const labels = Object.entries(value.labels as Record<string, string | number | undefined>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}="${escapeLabelValue(String(v))}"`);
      lines.push(`${name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(value.value)}`);
      samples += 1;
    }
  }
  return { text: lines.length ? `${lines.join('\n')}\n` : '', samples };
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
