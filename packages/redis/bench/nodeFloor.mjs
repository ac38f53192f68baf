// The bench's "Node floor" control (bench/run.ts, row (n)): the least a Node.js process can do to
// take an RDB the way `redis-cli --rdb` does, so the bench can tell Node's own cost (start-up,
// event loop, exit) from our pipeline's. It does what redis-cli's getRDB does (redis/redis
// src/redis-cli.c; protocols.md 2.1) and nothing else: REPLCONF capa eof, REPLCONF rdb-only 1 and
// SYNC, one command after the other's reply (the server refuses SYNC with replies pending); skips
// the newline keepalives; reads into one reused buffer; writes the `$<len>` or `$EOF:<mark>`
// payload to the file with synchronous writes, as it arrives (as redis-cli does; asynchronous
// writes measured slower here); fsyncs; exits. No imports besides node:net, node:fs and
// node:crypto, no digest (unless --sha256), no manifest, no checks beyond the framing: NOT a
// backup tool.
// With --sha256 it also computes the SHA-256 of the payload, as every backup must (docs/format.md:
// each artifact's digest is in the manifest): row (h), the least a Node process can do to take an
// RDB the way our format requires, so the bench can tell the digest's cost from our pipeline's.
// Usage: node bench/nodeFloor.mjs <port> <file> [--sha256]

import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { connect } from 'node:net';

const [port, file, option] = process.argv.slice(2);
if (!port || !file || (option !== undefined && option !== '--sha256')) {
  throw new Error('usage: node bench/nodeFloor.mjs <port> <file> [--sha256]');
}
/** --sha256: the digest of every payload byte, updated as each piece is written. */
const sha256 = option === '--sha256' ? createHash('sha256') : undefined;
/** Writes `length` bytes of `buffer` from `offset` to the file, and hashes them with --sha256. */
function write(buffer, offset = 0, length = buffer.length - offset) {
  sha256?.update(buffer.subarray(offset, offset + length));
  writeSync(fd, buffer, offset, length);
}

const fd = openSync(file, 'w');
const commands = [
  '*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n',
  '*3\r\n$8\r\nREPLCONF\r\n$8\r\nrdb-only\r\n$1\r\n1\r\n',
  'SYNC\r\n',
];
// Reads go into one reused 64 KiB buffer (`onread`, as openRdbStream does): no allocation per read.
const socket = connect({
  port: Number(port),
  host: '127.0.0.1',
  onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: (n, buffer) => onData(buffer.subarray(0, n)) },
});
socket.write(commands[0]);
let sent = 1;
/** Bytes before the payload, until its preamble line is complete. */
let head = Buffer.alloc(0);
/** `$<len>` framing: bytes still to come; `$EOF:` framing: Infinity. */
let remaining = -1;
/** `$EOF:` framing: the 40-byte mark that ends the payload. */
let mark;
/** `$EOF:` framing: the last 40 bytes written, to find the mark across reads. */
let tail = Buffer.alloc(0);

let finished = false;

function done() {
  finished = true;
  sha256?.digest('hex');
  fsyncSync(fd);
  closeSync(fd);
  socket.destroy();
}

function payload(chunk) {
  if (mark === undefined) {
    const n = Math.min(chunk.length, remaining);
    write(chunk, 0, n);
    remaining -= n;
    if (remaining === 0) done();
    return;
  }
  // Diskless: the file ends where a read ends with the mark (as redis-cli compares after every
  // read); the newest 40 bytes are held back until more follow, as they may be the mark.
  if (chunk.length < 40) {
    const joined = Buffer.concat([tail, chunk]);
    if (joined.length >= 40 && mark.equals(joined.subarray(joined.length - 40))) {
      write(joined, 0, joined.length - 40);
      return done();
    }
    const keep = Math.min(40, joined.length);
    write(joined, 0, joined.length - keep);
    tail = Buffer.from(joined.subarray(joined.length - keep));
    return;
  }
  if (tail.length > 0) write(tail);
  write(chunk, 0, chunk.length - 40);
  if (mark.equals(chunk.subarray(chunk.length - 40))) return done();
  tail = Buffer.from(chunk.subarray(chunk.length - 40));
}

function onData(chunk) {
  if (remaining >= 0) return payload(chunk);
  head = Buffer.concat([head, chunk]);
  for (;;) {
    while (head[0] === 0x0a) head = head.subarray(1); // keepalive newlines while the server prepares
    const end = head.indexOf('\r\n');
    if (end < 0) return;
    const line = head.toString('latin1', 0, end);
    head = head.subarray(end + 2);
    if (line === '+OK' && sent < commands.length) {
      socket.write(commands[sent++]);
    } else if (line.startsWith('$EOF:')) {
      mark = Buffer.from(line.slice(5), 'latin1');
      remaining = Number.POSITIVE_INFINITY;
      break;
    } else if (line.startsWith('$')) {
      remaining = Number(line.slice(1));
      if (remaining === 0) return done();
      break;
    } else {
      throw new Error(`unexpected reply: ${line}`);
    }
  }
  if (head.length > 0) payload(head);
}
socket.on('close', () => {
  if (!finished) {
    console.error('the connection closed before the whole RDB arrived');
    process.exitCode = 1;
  }
});
socket.on('error', (error) => {
  throw error;
});
