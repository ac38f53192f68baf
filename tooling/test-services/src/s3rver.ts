import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** A running s3rver (an S3 server on npm), in-process, on a free port. */
export interface S3rverInstance {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps objects on disk. */
  directory: string;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

interface KoaContext {
  method: string;
  path: string;
  get(header: string): string;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
}

/**
 * s3rver ignores `If-None-Match: *` on PutObject. AWS S3 (since 2024-08), MinIO and Garage honour
 * it: a PUT of an existing key fails with 412 PreconditionFailed. This middleware adds exactly that
 * to s3rver, serialising conditional PUTs per key so the check-then-write is atomic here.
 */
function conditionalWrites(store: S3rverStore): KoaMiddleware {
  const locks = new Map<string, Promise<void>>();
  return async (ctx, next) => {
    if (ctx.method !== 'PUT' || ctx.get('if-none-match') !== '*') return next();
    const [, bucket, ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (!bucket || !key) return next();
    const id = `${bucket}/${key}`;
    const previous = locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((r) => {
      release = r;
    });
    const chained = previous.then(() => current);
    locks.set(id, chained);
    await previous;
    try {
      if (await store.existsObject(bucket, key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
          `<Condition>If-None-Match</Condition><Resource>/${id}</Resource></Error>`;
        return;
      }
      await next();
    } finally {
      release();
      if (locks.get(id) === chained) locks.delete(id);
    }
  };
}

/**
 * Starts s3rver on 127.0.0.1 with a free port and an empty bucket (default `backrest`, as in the
 * seeds), with S3 conditional writes (`If-None-Match: *`) added. Credentials are s3rver's fixed
 * `S3RVER`/`S3RVER`.
 */
export async function startS3rver(options: { bucket?: string } = {}): Promise<S3rverInstance> {
  const bucket = options.bucket ?? 'backrest';
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const koa = server as unknown as { middleware: KoaMiddleware[]; store: S3rverStore };
  koa.middleware.unshift(conditionalWrites(koa.store));
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
