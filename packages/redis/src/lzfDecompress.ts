import { RdbFormatError } from './RdbFormatError.js';

/**
 * Decompresses an LZF block (liblzf `lzf_d.c`, used by Redis for strings saved with
 * `rdbcompression yes`, rdb.h `RDB_ENC_LZF`) into exactly `length` bytes.
 *
 * @throws RdbFormatError when the block is malformed or does not yield `length` bytes.
 */
export function lzfDecompress(input: Uint8Array, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > length || ip + run > input.length)
        throw new RdbFormatError('Corrupt LZF string (literal run)');
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= input.length) throw new RdbFormatError('Corrupt LZF string (length)');
        len += input[ip++]!;
      }
      if (ip >= input.length) throw new RdbFormatError('Corrupt LZF string (back reference)');
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++]!;
      len += 2;
      if (ref < 0 || op + len > length) throw new RdbFormatError('Corrupt LZF string (back reference)');
      for (let i = 0; i < len; i++) out[op + i] = out[ref + i]!;
      op += len;
    }
  }
  if (op !== length) throw new RdbFormatError(`Corrupt LZF string: ${op} bytes instead of ${length}`);
  return out;
}
