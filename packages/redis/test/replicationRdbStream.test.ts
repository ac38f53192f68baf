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

/**
 * Feeds `wire` as a socket with an `onread` buffer function does: each read goes into the buffer
 * `readTarget()` returned, at most `sizes` bytes (and at most what fits), then `commitRead`.
 * `copiedFirst` bytes go first through a foreign buffer (the read under way when the stream was
 * made), which `commitRead` must copy. Returns the memory (ArrayBuffers) the reads went into.
 */
function feedDirect(
  stream: ReplicationRdbStream,
  wire: Buffer,
  next: Generator<number>,
  copiedFirst = 0,
): Set<ArrayBufferLike> {
  const readInto = new Set<ArrayBufferLike>();
  let at = 0;
  if (copiedFirst > 0) {
    const foreign = Buffer.alloc(65_536);
    wire.copy(foreign, 0, 0, copiedFirst);
    stream.commitRead(foreign, copiedFirst);
    foreign.fill(0xee);
    at = copiedFirst;
  }
  while (at < wire.length) {
    const target = stream.readTarget();
    const n = Math.min(next.next().value as number, wire.length - at, target.length);
    wire.copy(target, 0, at, at + n);
    readInto.add(target.buffer);
    stream.commitRead(target, n);
    at += n;
  }
  return readInto;
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

  it('gathers socket reads into pushes of at least batchBytes (default 1 MiB), the last one shorter', async () => {
    const rdb = Buffer.alloc(3_500_000);
    for (let i = 0; i < rdb.length; i++) rdb[i] = (i * 7) & 0xff;
    const { socket, stream } = open();
    const parts: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    // 16 KiB and smaller reads, as a master writing PROTO_IOBUF_LEN chunks delivers them.
    const next = sizes(9);
    for (let at = 0; at < rdb.length; ) {
      const n = next.next().value as number;
      socket.emit('data', rdb.subarray(at, at + n));
      at += n;
    }
    socket.emit('data', mark);
    await done;
    expect(Buffer.concat(parts).equals(rdb)).toBe(true);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.length).toBeLessThanOrEqual(Math.ceil(rdb.length / (1024 * 1024)));
    for (const part of parts.slice(0, -1)) expect(part.length).toBeGreaterThanOrEqual(1024 * 1024);
  });

  it('copies what receive() is given: the caller reuses one read buffer, as onread does', async () => {
    const rdb = Buffer.alloc(700_000);
    for (let i = 0; i < rdb.length; i++) rdb[i] = (i * 11 + 3) & 0xff;
    const wire = Buffer.concat([rdb, mark]);
    const { stream } = open();
    const done = collect(stream);
    const readBuffer = Buffer.alloc(65_536);
    const next = sizes(4);
    for (let at = 0; at < wire.length; ) {
      const n = Math.min(next.next().value as number, wire.length - at, readBuffer.length);
      wire.copy(readBuffer, 0, at, at + n);
      stream.receive(readBuffer, n);
      readBuffer.fill(0xee); // the next read overwrites it
      at += n;
    }
    const { bytes } = await done;
    expect(bytes.equals(rdb)).toBe(true);
  });

  for (const [seed, batchBytes] of [
    [11, undefined],
    [12, 1000],
    [13, 4096],
    [14, 65_536],
  ] as const) {
    it(`reads straight into its chunks: readTarget + commitRead, no copy (seed ${seed}, batchBytes ${batchBytes ?? 'default'})`, async () => {
      const rdb = Buffer.alloc(2_300_000 + seed);
      for (let i = 0; i < rdb.length; i++) rdb[i] = (i * 13 + seed) & 0xff;
      const wire = Buffer.concat([rdb, mark]);
      const socket = new FakeSocket();
      const stream = new ReplicationRdbStream(
        socket as unknown as Socket,
        Buffer.from(wire.subarray(0, 100)), // bytes that came with the preamble
        { kind: 'eof', mark },
        { label: 'test', batchBytes },
      );
      const parts: Buffer[] = [];
      const done = new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Buffer) => parts.push(chunk));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      const readInto = feedDirect(stream, wire.subarray(100), sizes(seed), 37);
      // After the end: the socket may read once more; those bytes go to a spare buffer.
      const spare = stream.readTarget();
      expect(spare.length).toBeGreaterThan(0);
      stream.commitRead(spare, 7);
      await done;
      expect(Buffer.concat(parts).equals(rdb)).toBe(true);
      expect(socket.destroyed).toBe(true);
      // Chunks of exactly batchBytes, the last one shorter.
      const size = batchBytes ?? 1024 * 1024;
      for (const part of parts.slice(0, -1)) expect(part.length).toBe(size);
      expect(parts.at(-1)!.length).toBeLessThanOrEqual(size);
      // The pushed chunks are views of the memory the reads went into, not copies of it.
      for (const part of parts) expect(readInto.has(part.buffer)).toBe(true);
    });
  }

  it('ends at a mark that a read completes exactly at the end of a chunk', async () => {
    // batchBytes 1000: the chunk holds 1040 bytes (40 held back); fill it so the mark ends it.
    const rdb = Buffer.alloc(1000 * 3);
    for (let i = 0; i < rdb.length; i++) rdb[i] = (i * 5 + 1) & 0xff;
    const wire = Buffer.concat([rdb, mark]);
    const socket = new FakeSocket();
    const stream = new ReplicationRdbStream(
      socket as unknown as Socket,
      Buffer.alloc(0),
      { kind: 'eof', mark },
      { label: 'test', batchBytes: 1000 },
    );
    const done = collect(stream);
    // Reads of exactly the room offered: each fills its chunk to the last byte.
    function* all(): Generator<number> {
      for (;;) yield Number.MAX_SAFE_INTEGER;
    }
    feedDirect(stream, wire, all());
    const { bytes } = await done;
    expect(bytes.equals(rdb)).toBe(true);
  });

  it('counts gathered bytes that were not pushed yet when the connection closes', async () => {
    const { socket, stream } = open();
    const done = collect(stream);
    for (let i = 0; i < 10; i++) socket.emit('data', Buffer.alloc(1000, i)); // 10,000 bytes: one batch, not pushed
    socket.emit('close');
    await expect(done).rejects.toThrow(/closed after 10000 bytes/);
  });

  it('fails, naming the bytes that arrived, when the connection closes before the mark', async () => {
    const { socket, stream } = open();
    const done = collect(stream);
    socket.emit('data', Buffer.alloc(5000, 1));
    socket.emit('close');
    await expect(done).rejects.toThrow(/closed after 5000 bytes/);
  });
});

describe('ReplicationRdbStream, $<len> framing', () => {
  const open = (length: number, batchBytes?: number) => {
    const socket = new FakeSocket();
    const stream = new ReplicationRdbStream(
      socket as unknown as Socket,
      Buffer.alloc(0),
      { kind: 'length', length },
      { label: 'test', batchBytes },
    );
    return { socket, stream };
  };

  it('ends after exactly len bytes, in pushes of batchBytes, ignoring what follows', async () => {
    const rdb = Buffer.alloc(100_000);
    for (let i = 0; i < rdb.length; i++) rdb[i] = (i * 13) & 0xff;
    const { socket, stream } = open(rdb.length, 30_000);
    // 'data' events see each push as it is (`for await` would join what is buffered).
    const done = new Promise<Buffer[]>((resolve, reject) => {
      const parts: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      stream.on('end', () => resolve(parts));
      stream.on('error', reject);
    });
    const wire = Buffer.concat([rdb, Buffer.from('+PING\r\n')]);
    for (let at = 0; at < wire.length; at += 7_001) socket.emit('data', wire.subarray(at, at + 7_001));
    const parts = await done;
    expect(Buffer.concat(parts).equals(rdb)).toBe(true);
    expect(parts.map((p) => p.length)).toEqual([30_000, 30_000, 30_000, 10_000]);
    expect(socket.destroyed).toBe(true);
  });

  it('reads straight into its chunks with readTarget + commitRead, ending after exactly len bytes', async () => {
    const rdb = Buffer.alloc(1_500_003);
    for (let i = 0; i < rdb.length; i++) rdb[i] = (i * 17 + 5) & 0xff;
    const socket = new FakeSocket();
    const stream = new ReplicationRdbStream(
      socket as unknown as Socket,
      Buffer.alloc(0),
      { kind: 'length', length: rdb.length },
      { label: 'test', batchBytes: 300_000 },
    );
    const done = collect(stream);
    // What follows the RDB in the last read (the master's next command) is ignored.
    feedDirect(stream, Buffer.concat([rdb, Buffer.from('*1\r\n$4\r\nPING\r\n')]), sizes(21));
    const { bytes } = await done;
    expect(bytes.equals(rdb)).toBe(true);
    expect(socket.destroyed).toBe(true);
  });

  it('fails with the count of bytes that arrived when the connection closes short', async () => {
    const { socket, stream } = open(50_000);
    const done = collect(stream);
    socket.emit('data', Buffer.alloc(20_000, 1));
    socket.emit('end');
    await expect(done).rejects.toThrow(/closed after 20000 of 50000 bytes/);
  });
});
