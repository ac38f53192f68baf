import type { Readable } from 'node:stream';
import { codecError } from './codecError.js';
import { parseGraphLine } from './parseGraphLine.js';
import { readLines } from './readLines.js';

/** What {@link verifyGraphArtifact} counted. */
export interface GraphArtifactSummary {
  nodes: number;
  relationships: number;
}

/**
 * Structural check of a `.graph.jsonl` plaintext, streamed to its end: every line parses and
 * decodes ({@link parseGraphLine}: shape, types, exact values), no line is empty, and all node
 * lines come before the relationship lines (the restore relies on it). Memory stays bounded: ids
 * are not collected, so a relationship whose node is missing is found by the restore
 * (`danglingRelationships`), not here.
 *
 * A bad line may be the symptom of corrupted stored bytes (a flipped byte in a zstd frame
 * decompresses to garbage long before the end of the stream, where the checksums are compared), so
 * after a structural failure the rest of the stream is drained: when the stream then fails (with
 * `CHECKSUM_MISMATCH`, `DECRYPT_FAILED`...), that error is thrown instead of `VERIFY_FAILED`.
 *
 * @param name The artifact name, for messages (`neo4j.graph.jsonl line 12: ...`).
 * @throws BackupError `VERIFY_FAILED` at the first bad line of intact bytes; the stream's own
 *   errors (`CHECKSUM_MISMATCH`...) otherwise.
 */
export async function verifyGraphArtifact(plaintext: Readable, name: string): Promise<GraphArtifactSummary> {
  try {
    return await checkLines(plaintext, name);
  } catch (error) {
    if (!plaintext.destroyed) {
      for await (const _ of plaintext) {
        // drain: the stream checks size and digests at its end; its error propagates from here
      }
    }
    throw error;
  }
}

async function checkLines(plaintext: Readable, name: string): Promise<GraphArtifactSummary> {
  let nodes = 0;
  let relationships = 0;
  for await (const { text, number } of readLines(plaintext)) {
    const where = `${name} line ${number}`;
    if (text === '') throw codecError(`${where}: empty line`);
    const line = parseGraphLine(text, where);
    if (line.type === 'node') {
      if (relationships > 0) throw codecError(`${where}: node line after relationship lines`);
      nodes++;
    } else {
      relationships++;
    }
  }
  return { nodes, relationships };
}
