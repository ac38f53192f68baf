import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFiles } from '../src/testing/doubleRoutes.js';
import { QdrantDouble } from '../src/testing/QdrantDouble.js';
import { SpecValidator } from '../src/testing/SpecValidator.js';
import { qdrantOk, qdrantRequest } from './fixtures/qdrantHttp.js';
import { HUGE_ID, seedRichCollection, UUID_ID } from './fixtures/seedCollections.js';

// The double must be a faithful protocol double: every request and response it sees is validated
// against the official spec; these tests exercise it directly and assert no violation.

let validator: SpecValidator;
let double: QdrantDouble;

async function tarEntries(bytes: Buffer): Promise<string[]> {
  const names: string[] = [];
  const parser = extract();
  const done = (async () => {
    for await (const entry of parser) {
      names.push(entry.header.name);
      entry.resume();
    }
  })();
  parser.end(bytes);
  await done;
  return names;
}

beforeAll(async () => {
  validator = await SpecValidator.load();
  double = await QdrantDouble.start({ validator });
  await seedRichCollection(double.url, 'runbooks', 40);
});
afterAll(() => double?.stop());
afterEach(() => {
  expect(double.violations).toEqual([]);
});

describe('Qdrant test double', () => {
  it('answers like Qdrant 1.19: envelopes, lossless ids, id order, all vector kinds, errors', async () => {
    const root = await qdrantRequest(double.url, 'GET', '/');
    expect(root.json).toMatchObject({ version: '1.19.0' });

    const scroll = await qdrantRequest(double.url, 'POST', '/collections/runbooks/points/scroll', {
      body: { limit: 100, with_payload: true, with_vector: true },
    });
    expect(scroll.status).toBe(200);
    // u64 id written exactly (JSON.parse would turn it into 18446744073709552000).
    expect(scroll.text).toContain('"id":18446744073709551615');
    // a float payload value keeps its ".0" (serde_json f64), an integer stays an integer
    expect(scroll.text).toMatch(/"score":1\.0[,}]/);
    const points = (scroll.json as { result: { points: { id: unknown; vector: Record<string, unknown> }[] } })
      .result.points;
    const ids = points.map((p) => String(p.id));
    // numbers ascending, UUIDs after them (PointIdType order)
    expect(ids.at(-1)).toBe(UUID_ID);
    expect(ids.at(-2)).toBe(HUGE_ID.toString());
    expect(ids[0]).toBe('1');
    const first = points[0]!.vector;
    expect(Object.keys(first).sort()).toEqual(['colbert', 'keywords', 'text']);
    expect(first['keywords']).toMatchObject({ indices: expect.any(Array), values: expect.any(Array) });

    const count = (await qdrantOk(double.url, 'POST', '/collections/runbooks/points/count', {
      body: { exact: true },
    })) as {
      count: unknown;
    };
    expect(Number(count.count)).toBe(40);

    const missing = await qdrantRequest(double.url, 'GET', '/collections/nope');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ status: { error: "Not found: Collection `nope` doesn't exist!" } });

    const again = await qdrantRequest(double.url, 'PUT', '/collections/runbooks', {
      body: { vectors: { size: 4, distance: 'Dot' } },
    });
    expect(again.status).toBe(409);

    const wrongDim = await qdrantRequest(double.url, 'PUT', '/collections/runbooks/points?wait=true', {
      body: { points: [{ id: 7, vector: { text: [1, 2] } }] },
    });
    expect(wrongDim.status).toBe(400);
    expect(wrongDim.text).toContain('Vector dimension error: expected dim: 8, got 2');

    // Cosine vectors are stored normalized, as f32
    await qdrantOk(double.url, 'PUT', '/collections/cosine', {
      body: { vectors: { size: 2, distance: 'Cosine' } },
    });
    await qdrantOk(double.url, 'PUT', '/collections/cosine/points?wait=true', {
      body: { points: [{ id: 1, vector: [3, 4] }] },
    });
    const cosine = await qdrantRequest(double.url, 'POST', '/collections/cosine/points/scroll', {
      body: { with_vector: true },
    });
    expect(cosine.text).toContain('"vector":[0.6,0.8]');
    await qdrantOk(double.url, 'DELETE', '/collections/cosine');

    const cluster = (await qdrantOk(double.url, 'GET', '/collections/runbooks/cluster')) as {
      local_shards: { points_count: unknown }[];
    };
    expect(Number(cluster.local_shards[0]!.points_count)).toBe(40);
    expect(await qdrantOk(double.url, 'GET', '/cluster')).toEqual({ status: 'disabled' });
  });

  it('makes snapshots as real tar files with a sha256 sidecar, lists, downloads and deletes them', async () => {
    const created = (await qdrantOk(double.url, 'POST', '/collections/runbooks/snapshots?wait=true')) as {
      name: string;
      size: unknown;
      checksum: string;
    };
    expect(created.name).toMatch(
      new RegExp(`^runbooks-${double.peer.peerId}-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}\\.snapshot$`),
    );
    const files = await snapshotFiles(double);
    expect(files).toEqual([
      `collections/runbooks/${created.name}`,
      `collections/runbooks/${created.name}.checksum`,
    ]);
    const sidecar = await readFile(
      join(double.dataDir, 'collections', 'runbooks', `${created.name}.checksum`),
      'utf8',
    );
    expect(sidecar).toBe(created.checksum);

    const response = await fetch(`${double.url}/collections/runbooks/snapshots/${created.name}`);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(Number(created.size));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(created.checksum);
    const names = await tarEntries(bytes);
    expect(names).toEqual(
      expect.arrayContaining([
        'config.json',
        'version.info',
        'shard_key_mapping.json',
        'payload_index.json',
        '0/',
      ]),
    );
    expect(names.some((n) => /^0\/segments\/[^/]+\/points\.ndjson$/.test(n))).toBe(true);

    const listed = (await qdrantOk(double.url, 'GET', '/collections/runbooks/snapshots')) as {
      name: string;
    }[];
    expect(listed.map((s) => s.name)).toEqual([created.name]);
    expect(
      await qdrantOk(double.url, 'DELETE', `/collections/runbooks/snapshots/${created.name}?wait=true`),
    ).toBe(true);
    expect(await snapshotFiles(double)).toEqual([]);
    expect(
      (await qdrantRequest(double.url, 'GET', `/collections/runbooks/snapshots/${created.name}`)).status,
    ).toBe(404);
  });

  it('answers wait=false with 202 and finishes the snapshot in the background', async () => {
    const accepted = await qdrantRequest(double.url, 'POST', '/collections/runbooks/snapshots?wait=false');
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ result: null, status: 'accepted' });
    let listed: { name: string }[] = [];
    for (let i = 0; i < 50 && listed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      listed = (await qdrantOk(double.url, 'GET', '/collections/runbooks/snapshots')) as { name: string }[];
    }
    expect(listed).toHaveLength(1);
    await qdrantOk(double.url, 'DELETE', `/collections/runbooks/snapshots/${listed[0]!.name}`);
  });

  it('restores a multipart upload (field snapshot) and refuses a wrong checksum with 400', async () => {
    const created = (await qdrantOk(double.url, 'POST', '/collections/runbooks/snapshots')) as {
      name: string;
      checksum: string;
    };
    const bytes = Buffer.from(
      await (await fetch(`${double.url}/collections/runbooks/snapshots/${created.name}`)).arrayBuffer(),
    );
    const upload = (checksum: string) => {
      const form = new FormData();
      form.append('snapshot', new Blob([bytes]), created.name);
      return fetch(`${double.url}/collections/copy/snapshots/upload?priority=snapshot&checksum=${checksum}`, {
        method: 'POST',
        body: form,
      });
    };
    const bad = await upload('0'.repeat(64));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Checksum mismatch');
    expect((await qdrantRequest(double.url, 'GET', '/collections/copy')).status).toBe(404);

    const good = await upload(created.checksum);
    expect(good.status).toBe(200);
    // recover.rs: an existing collection must have the snapshot's vectors config and shard number
    await qdrantOk(double.url, 'PUT', '/collections/other', {
      body: { vectors: { size: 4, distance: 'Dot' } },
    });
    const form = new FormData();
    form.append('snapshot', new Blob([bytes]), created.name);
    const incompatible = await fetch(`${double.url}/collections/other/snapshots/upload?priority=snapshot`, {
      method: 'POST',
      body: form,
    });
    expect(incompatible.status).toBe(400);
    expect(await incompatible.text()).toContain('Snapshot is not compatible with existing collection');
    await qdrantOk(double.url, 'DELETE', '/collections/other');
    const original = await qdrantRequest(double.url, 'POST', '/collections/runbooks/points/scroll', {
      body: { limit: 100, with_vector: true },
    });
    const copy = await qdrantRequest(double.url, 'POST', '/collections/copy/points/scroll', {
      body: { limit: 100, with_vector: true },
    });
    expect(JSON.stringify((copy.json as { result: unknown }).result)).toBe(
      JSON.stringify((original.json as { result: unknown }).result),
    );
    expect(double.served('recover_from_uploaded_snapshot').at(-1)?.query).toMatchObject({
      priority: 'snapshot',
    });
    await qdrantOk(double.url, 'DELETE', `/collections/runbooks/snapshots/${created.name}`);
    await qdrantOk(double.url, 'DELETE', '/collections/copy');
  });

  it('checks the api key like Qdrant: 401 without, 403 wrong (plain text), 200 with', async () => {
    const secured = await QdrantDouble.start({ validator, apiKey: 's3cret' });
    try {
      const none = await qdrantRequest(secured.url, 'GET', '/collections');
      expect(none.status).toBe(401);
      expect(none.contentType).toContain('text/plain');
      expect(none.text).toBe('Must provide an API key or an Authorization bearer token');
      expect((await qdrantRequest(secured.url, 'GET', '/collections', { apiKey: 'nope' })).status).toBe(403);
      expect((await qdrantRequest(secured.url, 'GET', '/collections', { apiKey: 's3cret' })).status).toBe(
        200,
      );
      expect(
        (
          await qdrantRequest(secured.url, 'GET', '/collections', {
            headers: { authorization: 'Bearer s3cret' },
          })
        ).status,
      ).toBe(200);
      expect(secured.violations).toEqual([]);
    } finally {
      await secured.stop();
    }
  });
});

describe('spec validation of the double', () => {
  it('flags responses, requests and content types that the official spec rejects', () => {
    const create = validator.checkRequest({
      method: 'POST',
      path: '/collections/x/snapshots',
      query: {},
      headers: {},
    });
    expect(create.operation?.operationId).toBe('create_snapshot');
    const op = create.operation!;
    // SnapshotDescription requires `size`
    expect(
      validator.checkResponse(op, 200, 'application/json', {
        result: { name: 'x.snapshot' },
        status: 'ok',
        time: 0,
      }),
    ).toEqual([expect.stringContaining('size')]);
    expect(
      validator.checkResponse(op, 200, 'application/json', {
        result: { name: 'x.snapshot', size: -1 },
        status: 'ok',
        time: 0,
      }),
    ).not.toEqual([]);
    expect(
      validator.checkResponse(op, 200, 'application/json', {
        result: { name: 'x.snapshot', size: 3 },
        status: 'ok',
        time: 0,
      }),
    ).toEqual([]);
    // errors must be JSON ErrorResponse; plain text only for the auth middleware's 401/403
    expect(validator.checkResponse(op, 404, 'text/plain', 'Not found')).not.toEqual([]);
    expect(validator.checkResponse(op, 401, 'text/plain', 'Must provide an API key')).not.toEqual([]);
    expect(
      validator.checkResponse(op, 401, 'text/plain', 'Must provide an API key', { authException: true }),
    ).toEqual([]);
    // priority is an enum; wait a boolean
    const upload = validator.checkRequest({
      method: 'POST',
      path: '/collections/x/snapshots/upload',
      query: { priority: 'bogus', wait: 'maybe' },
      headers: {},
    });
    expect(upload.errors.join('\n')).toMatch(/priority[\s\S]*wait|wait[\s\S]*priority/);
    // a u64 id is valid, a negative one is not
    const upsert = (id: number) =>
      validator.checkRequest({
        method: 'PUT',
        path: '/collections/x/points',
        query: {},
        headers: { 'content-type': 'application/json' },
        body: { points: [{ id, vector: [0.5] }] },
      }).errors;
    expect(upsert(2 ** 63)).toEqual([]);
    expect(upsert(-1)).not.toEqual([]);
    // only the uint64 format check rejects this one
    expect(upsert(2 ** 65)).not.toEqual([]);
    expect(
      validator.checkRequest({ method: 'GET', path: '/nowhere', query: {}, headers: {} }).operation,
    ).toBeUndefined();
  });

  it('records a violation when a request the double serves breaks the spec', async () => {
    const answer = await qdrantRequest(double.url, 'POST', '/collections/runbooks/snapshots?wait=maybe');
    expect(answer.status).toBe(400);
    expect(double.violations).toEqual([
      expect.objectContaining({
        kind: 'request',
        operationId: 'create_snapshot',
        errors: [expect.stringContaining('boolean')],
      }),
    ]);
    double.violations.length = 0;
  });
});
