import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ReplicationRdbStream } from '../src/ReplicationRdbStream.js';

/** Enough of a `net.Socket` for ReplicationRdbStream: events, pause/resume, timeout, destroy. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

async function collect(stream: ReplicationRdbStream): Promise<{ bytes: Buffer; pushes: number }> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return { bytes: Buffer.concat(parts), pushes: parts.length };
}

/** Deterministic pseudo-random sizes, some shorter than the 40-byte mark. */
function* sizes(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    yield x % 4 === 0 ? 1 + (x % 45) : 1 + (x % 9000);
  }
}

describe('ReplicationRdbStream, diskless ($EOF:<mark>) framing', () => {
  const mark = Buffer.from('0123456789abcdef0123456789abcdef01234567');
  /** A stream over a fresh fake socket, nothing buffered yet, expecting the payload to end at `mark`. */
  const open = () => {
    const socket = new FakeSocket();
    const stream = new ReplicationRdbStream(
      socket as unknown as Socket,
      Buffer.alloc(0),
      { kind: 'eof', mark },
      { label: 'test' },
    );
    return { socket, stream };
  };

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`strips the mark at any read boundary (seed ${seed})`, async () => {
      const rdb = Buffer.alloc(50_000 + seed * 7);
      for (let i = 0; i < rdb.length; i++) rdb[i] = (i * 31 + seed) & 0xff;
      const wire = Buffer.concat([rdb, mark]);
      const { socket, stream } = open();
      const done = collect(stream);
      const next = sizes(seed);
      for (let at = 0; at < wire.length; ) {
        const n = next.next().value as number;
        socket.emit('data', wire.subarray(at, at + n));
        at += n;
      }
      // The master waits for the replica's REPLCONF ACK after the mark: anything later is ignored.
      socket.emit('data', Buffer.from('+PING\r\n'));
      const { bytes } = await done;
      expect(bytes.equals(rdb)).toBe(true);
      expect(socket.destroyed).toBe(true);
    });
  }

  it('pushes one chunk per socket read of at least 40 bytes', async () => {
    const rdb = Buffer.alloc(10 * 1000, 7);
    const { socket, stream } = open();
    const done = collect(stream);
    for (let at = 0; at < rdb.length; at += 1000) socket.emit('data', rdb.subarray(at, at + 1000));
    socket.emit('data', mark);
    const { bytes, pushes } = await done;
    expect(bytes.equals(rdb)).toBe(true);
    expect(pushes).toBeLessThanOrEqual(10);
  });

  it('fails, naming the bytes that arrived, when the connection closes before the mark', async () => {
    const { socket, stream } = open();
    const done = collect(stream);
    socket.emit('data', Buffer.alloc(5000, 1));
    socket.emit('close');
    await expect(done).rejects.toThrow(/closed after 5000 bytes/);
  });
});
