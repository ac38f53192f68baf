import { Readable } from 'node:stream';
import { type ArtifactRecord, isBackupError, silentLogger } from '@backup/core';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { createQdrantEngine, QDRANT_SNAPSHOT_MEDIA_TYPE } from '../src/index.js';

// Structural verification of snapshot artifacts (beyond checksums): a readable tar with the layout
// Qdrant writes. No server is needed.

const engine = createQdrantEngine({ url: 'http://127.0.0.1:1' });
const ctx = { signal: new AbortController().signal, logger: silentLogger };
const artifact = (kind: string): ArtifactRecord => ({
  name: 'runbooks.snapshot',
  key: 'q/20260101-000000/runbooks.snapshot',
  unit: 'runbooks',
  mediaType: QDRANT_SNAPSHOT_MEDIA_TYPE,
  plaintextBytes: 0,
  storedBytes: 0,
  plaintextSha256: '0'.repeat(64),
  storedSha256: '0'.repeat(64),
  compression: { algorithm: 'none' },
  encryption: null,
  metadata: { kind },
});

async function tar(entries: [string, string | Buffer | null][]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const [name, body] of entries) {
    await new Promise<void>((resolve, reject) => {
      if (body === null) archive.entry({ name, type: 'directory' }, (e) => (e ? reject(e) : resolve()));
      else archive.entry({ name }, body, (e) => (e ? reject(e) : resolve()));
    });
  }
  archive.finalize();
  await reading;
  return Buffer.concat(chunks);
}

const config = (shards: number) =>
  JSON.stringify({ params: { vectors: { size: 4, distance: 'Dot' }, shard_number: shards } });
const layout = (shards: number): [string, string | null][] => [
  ['config.json', config(shards)],
  ['version.info', '1.19.0'],
  ['shard_key_mapping.json', '{}'],
  ['payload_index.json', '{"schema":{}}'],
  ...Array.from({ length: shards }, (_, i) => [`${i}/`, null] as [string, null]),
  ...Array.from(
    { length: shards },
    (_, i) => [`${i}/shard_config.json`, '{"type":"ReplicaSet"}'] as [string, string],
  ),
];

async function verify(bytes: Buffer, kind = 'collection-snapshot'): Promise<unknown> {
  return engine.verify(artifact(kind), Readable.from([bytes]), ctx).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('snapshot verification', () => {
  it('accepts the layout Qdrant writes (with or without ./ prefixes)', async () => {
    expect(await verify(await tar(layout(2)))).toBeUndefined();
    expect(
      await verify(await tar(layout(1).map(([n, b]) => [`./${n}`, b] as [string, string | null]))),
    ).toBeUndefined();
  });

  it('names what is wrong: missing config.json, version.info or a shard directory, bad JSON', async () => {
    const cases: [[string, string | null][], RegExp][] = [
      [layout(2).filter(([n]) => n !== 'config.json'), /config\.json is missing/],
      [layout(2).filter(([n]) => n !== 'version.info'), /version\.info is missing/],
      [layout(2).filter(([n]) => !n.startsWith('1/')), /shard directories 1 of 2 are missing/],
      [[['config.json', '{"params":'], ...layout(1).slice(1)], /config\.json is not JSON/],
      [[['config.json', '{"vectors":{}}'], ...layout(1).slice(1)], /config\.json has no params object/],
    ];
    for (const [entries, message] of cases) {
      const error = await verify(await tar(entries));
      expect(isBackupError(error, 'VERIFY_FAILED'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('rejects bytes that are not a tar, and a truncated tar', async () => {
    const garbage = await verify(Buffer.from('this is not a tar archive at all'.repeat(40)));
    expect(isBackupError(garbage, 'VERIFY_FAILED')).toBe(true);
    const whole = await tar([...layout(1), ['0/segments/a/points.ndjson', 'x'.repeat(5000)]]);
    const truncated = await verify(whole.subarray(0, 3000));
    expect(isBackupError(truncated, 'VERIFY_FAILED'), String(truncated)).toBe(true);
  });

  it('checks a full snapshot: every mapped collection snapshot present and valid', async () => {
    const inner = await tar(layout(1));
    const good = await tar([
      ['runbooks-1-2026-01-01-00-00-00.snapshot', inner],
      [
        'config.json',
        JSON.stringify({
          collections_mapping: { runbooks: 'runbooks-1-2026-01-01-00-00-00.snapshot' },
          collections_aliases: { rb: 'runbooks' },
        }),
      ],
    ]);
    expect(await verify(good, 'full-snapshot')).toBeUndefined();
    const missing = await tar([
      [
        'config.json',
        JSON.stringify({ collections_mapping: { runbooks: 'runbooks-1.snapshot' }, collections_aliases: {} }),
      ],
    ]);
    expect(String(await verify(missing, 'full-snapshot'))).toMatch(
      /the snapshot runbooks-1\.snapshot of collection runbooks is missing/,
    );
    const dangling = await tar([
      ['r.snapshot', inner],
      [
        'config.json',
        JSON.stringify({
          collections_mapping: { runbooks: 'r.snapshot' },
          collections_aliases: { x: 'gone' },
        }),
      ],
    ]);
    expect(String(await verify(dangling, 'full-snapshot'))).toMatch(/alias x points to gone/);
  });
});
