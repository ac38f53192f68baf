import type { CheckItem, UnitCheck } from '../UnitCheck.js';
import type { GraphCounts } from './GraphCounts.js';

/** Reads the counts a graph unit recorded at backup time; `undefined` when the set has none. */
export function recordedGraphCounts(metadata: Record<string, unknown>): GraphCounts | undefined {
  const { nodes, relationships, labels, relationshipTypes } = metadata;
  if (typeof nodes !== 'number' || typeof relationships !== 'number') return undefined;
  const record = (value: unknown): Record<string, number> =>
    typeof value === 'object' && value !== null
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).filter(
            (entry): entry is [string, number] => typeof entry[1] === 'number',
          ),
        )
      : {};
  return { nodes, relationships, labels: record(labels), relationshipTypes: record(relationshipTypes) };
}

/**
 * Compares a restored database's counts with those recorded at backup time: total nodes and
 * relationships, nodes per label (`:Label`), relationships per type (`[:TYPE]`). They are the
 * export's own counts, so any difference fails the check, except relationships the restore skipped
 * because the export lacked one of their nodes (`dangling`, reported by the engine): up to that many
 * missing relationships are a warning. A label or type not in the backup (`extra`) fails too: a
 * `--force` restore wipes the database first, so nothing of the old contents may remain.
 */
export function compareGraphCounts(
  unit: string,
  target: string,
  recorded: GraphCounts | undefined,
  restored: GraphCounts,
  dangling: number,
): UnitCheck {
  const itemsOf = (counts: GraphCounts | undefined) =>
    new Map<string, { kind: string; n: number }>(
      counts === undefined
        ? []
        : [
            ['nodes', { kind: 'nodes', n: counts.nodes }],
            ['relationships', { kind: 'relationships', n: counts.relationships }],
            ...Object.entries(counts.labels).map(([l, n]) => [`:${l}`, { kind: 'label', n }] as const),
            ...Object.entries(counts.relationshipTypes).map(
              ([t, n]) => [`[:${t}]`, { kind: 'type', n }] as const,
            ),
          ],
    );
  const after = itemsOf(restored);
  if (recorded === undefined) {
    return {
      unit,
      target,
      ok: true,
      compared: false,
      summary: `${restored.nodes} nodes, ${restored.relationships} relationships restored (the set recorded no counts to compare with)`,
      items: [...after].map(([name, a]) => ({ name, kind: a.kind, actual: a.n, status: 'info' })),
      warnings: [],
    };
  }
  const before = itemsOf(recorded);
  const items: CheckItem[] = [];
  const failed: CheckItem[] = [];
  const warnings: string[] = [];
  const relationshipShortfall = (name: string, expected: number, actual: number) =>
    (name === 'relationships' || name.startsWith('[:')) && actual < expected && expected - actual <= dangling;
  const order = (name: string) => (name === 'nodes' ? '0' : name === 'relationships' ? '1' : `2${name}`);
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort((a, b) =>
    order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0,
  )) {
    const b = before.get(name);
    const a = after.get(name);
    const actual = a?.n ?? 0;
    const status: CheckItem['status'] =
      b === undefined
        ? actual > 0
          ? 'extra'
          : 'ok'
        : actual === b.n
          ? 'ok'
          : a === undefined || actual === 0
            ? 'missing'
            : 'mismatch';
    const item: CheckItem = {
      name,
      kind: (b ?? a)!.kind,
      ...(b === undefined ? {} : { expected: b.n }),
      ...(a === undefined ? {} : { actual }),
      status,
    };
    items.push(item);
    if (status === 'ok') continue;
    if (b !== undefined && relationshipShortfall(name, b.n, actual)) {
      warnings.push(
        `${name}: ${b.n - actual} relationship(s) fewer: skipped as dangling (a node was not in the export)`,
      );
    } else {
      failed.push(item);
    }
  }
  const labels = Object.keys(recorded.labels).length;
  const types = Object.keys(recorded.relationshipTypes).length;
  const differing = items.filter((i) => i.status !== 'ok');
  const summary =
    differing.length === 0
      ? `${recorded.nodes} nodes, ${recorded.relationships} relationships (${labels} labels, ${types} types): all match the backup`
      : `${differing.length} count(s) differ from the backup (${differing
          .map((i) =>
            i.status === 'extra'
              ? `${i.name}: ${i.actual}, not in the backup`
              : i.status === 'missing'
                ? `${i.name}: none, backup had ${i.expected}`
                : `${i.name}: ${i.actual}, backup had ${i.expected}`,
          )
          .join('; ')})`;
  return { unit, target, ok: failed.length === 0, compared: true, summary, items, warnings };
}
