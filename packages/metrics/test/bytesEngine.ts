import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { BackupError, type Engine } from '@backup/core';

/**
 * A tiny real engine for tests: each unit is a fixed byte string streamed from a Readable.
 * `failAfter` makes every unit's source emit that many bytes, then error (a dropped connection).
 * `verify` checks the plaintext equals the unit's bytes (VERIFY_FAILED otherwise).
 */
export function bytesEngine(
  name: string,
  units: Record<string, string>,
  options: { failAfter?: number } = {},
): Engine {
  return {
    name,
    async describe() {
      return { version: '1.0', metadata: {} };
    },
    async discover() {
      return Object.keys(units).map((unit) => ({ name: unit, kind: 'blob' }));
    },
    async backup(unit, sink) {
      const bytes = Buffer.from(units[unit.name] ?? '');
      const source =
        options.failAfter === undefined
          ? Readable.from([bytes])
          : new Readable({
              read() {
                this.push(bytes.subarray(0, options.failAfter));
                this.destroy(new BackupError('SOURCE_FAILED', `${name}: connection reset by peer`));
              },
            });
      await sink.write({
        name: `${unit.name}.bin`,
        unit: unit.name,
        mediaType: 'application/octet-stream',
        source,
      });
      return { bytes: bytes.length };
    },
    async verify(artifact, plaintext) {
      const body = await text(plaintext);
      if (body !== units[artifact.unit]) throw new BackupError('VERIFY_FAILED', `${artifact.name} differs`);
    },
    async restore() {
      throw new BackupError('INTERNAL', 'bytesEngine does not restore');
    },
  };
}
