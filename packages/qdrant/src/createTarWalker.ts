import { extract, type Header } from 'tar-stream';

/** Handles one tar entry; MUST consume `body` to its end (or throw). */
export type TarEntryHandler = (header: Header, body: AsyncIterable<Buffer>) => Promise<void>;

/** Push side of a streaming tar parser, see {@link createTarWalker}. */
export interface TarWalker {
  /** Feeds bytes; resolves when the parser accepted them (back pressure). Rejects on a parse or handler error. */
  write(chunk: Uint8Array): Promise<void>;
  /** Ends the archive; resolves when every entry was handled. Rejects on a truncated archive. */
  end(): Promise<void>;
  /** Stops parsing with `error`. */
  destroy(error: Error): void;
}

/**
 * A streaming tar parser (`tar-stream` extract) fed by `write`, calling `onEntry` for each entry in
 * order. Nothing is buffered beyond one chunk; an archive that ends inside an entry or header
 * rejects `end()` ("Unexpected end of data"). Used to verify snapshots and to hash the collection
 * snapshots inside a full snapshot while it downloads.
 */
export function createTarWalker(onEntry: TarEntryHandler): TarWalker {
  const parser = extract();
  let failure: Error | undefined;
  const settled = new Promise<void>((resolve, reject) => {
    parser.on('finish', () => resolve());
    parser.on('error', (error: Error) => {
      failure ??= error;
      reject(error);
    });
    parser.on('close', () => {
      if (failure) reject(failure);
      else resolve();
    });
  });
  settled.catch(() => {});
  parser.on('entry', (header, body, next) => {
    onEntry(header, body as AsyncIterable<Buffer>).then(
      () => next(),
      (error: unknown) => parser.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  });
  return {
    async write(chunk) {
      if (failure) throw failure;
      if (!parser.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        await Promise.race([new Promise<void>((resolve) => parser.once('drain', () => resolve())), settled]);
      }
      if (failure) throw failure;
    },
    async end() {
      if (failure) throw failure;
      parser.end(undefined);
      await settled;
      if (failure) throw failure;
    },
    destroy(error) {
      failure ??= error;
      parser.destroy(error);
    },
  };
}

/**
 * Walks a whole archive read from `source` (a Node stream or a tar entry), calling `onEntry` for
 * every entry; resolves after the last one, rejects with the first error of the source, the
 * parser or a handler.
 */
export async function walkTar(source: AsyncIterable<Uint8Array>, onEntry: TarEntryHandler): Promise<void> {
  const walker = createTarWalker(onEntry);
  try {
    for await (const chunk of source) await walker.write(chunk);
  } catch (error) {
    walker.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  await walker.end();
}

/** Entry path without a leading `./` or `/` (Qdrant's tar builders differ between versions). */
export function normalizeTarPath(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

/** Reads an entry into memory, failing when it exceeds `limit` bytes. */
export async function readTarEntry(
  body: AsyncIterable<Buffer>,
  limit: number,
  name: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new Error(`${name} is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
