import { StringDecoder } from 'node:string_decoder';

/** One line of an NDJSON stream. */
export interface NdjsonLine {
  /** 1-based line number. */
  number: number;
  /** The line without its `\n` (and without a trailing `\r`). */
  text: string;
}

/**
 * Splits a UTF-8 byte stream into lines (a multi-byte character split across chunks is decoded
 * correctly). Yields non-empty lines only; a final line without `\n` is yielded too. Throws when a
 * line exceeds `maxLineBytes` characters (default 256 Mi) instead of growing without bound.
 */
export async function* ndjsonLines(
  source: AsyncIterable<Uint8Array | string>,
  maxLineBytes = 256 << 20,
): AsyncGenerator<NdjsonLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk));
    let start = 0;
    let end = pending.indexOf('\n', start);
    while (end !== -1) {
      number++;
      const text = pending.slice(start, end).replace(/\r$/, '');
      if (text !== '') yield { number, text };
      start = end + 1;
      end = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
    if (pending.length > maxLineBytes)
      throw new Error(`line ${number + 1} is longer than ${maxLineBytes} characters`);
  }
  pending += decoder.end();
  if (pending.replace(/\r$/, '') !== '') yield { number: number + 1, text: pending.replace(/\r$/, '') };
}
