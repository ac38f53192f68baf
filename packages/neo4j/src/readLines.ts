import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** One line of a text stream. */
export interface TextLine {
  /** The line without its `\n` (and without a `\r` before it). */
  text: string;
  /** 1-based line number. */
  number: number;
}

/**
 * Splits a UTF-8 stream into lines as they arrive (memory: the longest line plus one chunk). A
 * last line without a final newline is yielded too; an empty stream yields nothing. Errors of the
 * stream (checksum mismatch, decryption...) are thrown from the iteration. Stopping early does not
 * destroy the stream: the caller may drain it (see `verifyGraphArtifact`) or destroy it.
 */
export async function* readLines(stream: Readable): AsyncGenerator<TextLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, number: ++number };
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.end();
  if (pending !== '') yield { text: pending, number: ++number };
}
