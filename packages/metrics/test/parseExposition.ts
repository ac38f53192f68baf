/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parsed text exposition: samples and the `# TYPE` of each family. */
export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  /** Samples named `name` whose labels include every pair of `labels`. */
  find(name: string, labels?: Record<string, string>): Sample[];
  /** The value of the single sample matching, `undefined` when none; throws when several match. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/;

/**
 * A small parser of the Prometheus text format 0.0.4 for tests (prom-client has none): `# TYPE`
 * lines, sample lines with escaped label values (`\\`, `\"`, `\n`), `NaN`/`+Inf`/`-Inf`. Throws on
 * a line it does not understand, so malformed output fails the test.
 */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      else if (!/^# HELP \S+( .*)?$/.test(line)) throw new Error(`bad comment line: ${line}`);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`bad sample line: ${line}`);
    samples.push({
      name: match[1]!,
      labels: parseLabels(match[2] ?? '', line),
      value: parseValue(match[3]!),
    });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    types,
    find,
    value(name, labels) {
      const found = find(name, labels);
      if (found.length > 1)
        throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
  };
}

function parseLabels(body: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = body;
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,?)/.exec(rest);
    if (!m) throw new Error(`bad labels in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
    if (!m[3] && rest.length > 0) throw new Error(`bad labels in: ${line}`);
  }
  return labels;
}

function parseValue(raw: string): number {
  if (raw === 'NaN') return Number.NaN;
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(raw);
  if (Number.isNaN(value)) throw new Error(`bad value ${raw}`);
  return value;
}
