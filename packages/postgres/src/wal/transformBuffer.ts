import { type Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Runs `data` through transform streams (compression, encryption) and returns the output as one
 * buffer. For small files only (a WAL segment: 16 MiB by default): the whole output is held in
 * memory. With no stages, returns `data` itself.
 */
export async function transformBuffer(data: Buffer, stages: Duplex[]): Promise<Buffer> {
  if (stages.length === 0) return data;
  const parts: Buffer[] = [];
  await pipeline([
    Readable.from([data]),
    ...stages,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(chunk);
        callback();
      },
    }),
  ]);
  return Buffer.concat(parts);
}
