import type { Readable } from 'node:stream';

/**
 * Reads `stream` to its end, handing each chunk to `onChunk`. When `onChunk` throws an error that
 * `keepReading(error)` accepts (a format error that corrupt bytes could explain), the rest of the
 * stream is still read without processing, so the artifact's own checksum failure
 * (`CHECKSUM_MISMATCH`, which the core reader raises only at the end) wins as the reported cause;
 * otherwise the format error is thrown after the stream ended cleanly. Other errors destroy the
 * stream and are thrown at once. A stream error is always thrown as it is.
 */
export async function consumeArtifact(
  stream: Readable,
  onChunk: (chunk: Buffer) => void | Promise<void>,
  keepReading: (error: unknown) => boolean,
): Promise<void> {
  let deferred: { error: unknown } | undefined;
  for await (const chunk of stream) {
    if (deferred) continue;
    try {
      await onChunk(chunk as Buffer);
    } catch (error) {
      if (!keepReading(error)) {
        stream.destroy();
        throw error;
      }
      deferred = { error };
    }
  }
  if (deferred) throw deferred.error;
}
