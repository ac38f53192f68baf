import type { Duplex } from 'node:stream';
import type * as Zlib from 'node:zlib';
import { BackupError } from '../errors.js';
import { ParallelZstdCompress } from './ParallelZstdCompress.js';

/** Compression algorithms of the artifact pipeline (all from `node:zlib`). */
export type CompressionAlgorithm = 'zstd' | 'gzip' | 'none';

/** Compression settings recorded per artifact in the manifest. */
export interface CompressionSettings {
  /** Algorithm; default `zstd`. */
  algorithm: CompressionAlgorithm;
  /**
   * Level: zstd 1-19 (default 3), gzip 1-9 (default 6). Ignored for `none`.
   */
  level?: number;
}

/** File-name suffix each algorithm adds to an artifact (`outline.dump` -> `outline.dump.zst`). */
export const compressionSuffix: Readonly<Record<CompressionAlgorithm, string>> = {
  zstd: '.zst',
  gzip: '.gz',
  none: '',
};

/** Default levels: zstd 3 (see shared/notes/performance.md), gzip 6. */
export const defaultCompressionLevel: Readonly<Record<CompressionAlgorithm, number | undefined>> = {
  zstd: 3,
  gzip: 6,
  none: undefined,
};

/**
 * zlib's output chunk size. 1 MiB instead of the 16 KiB default: measured ~125 MB/s vs ~93 MB/s
 * for zstd level 3 in Node 24 (shared/notes/performance.md).
 */
const CHUNK_SIZE = 1 << 20;

/** `node:zlib`. Loaded on first use, not at import (process.getBuiltinModule): see docs/performance.md, "Start-up". */
const zlib = (): typeof Zlib => process.getBuiltinModule('node:zlib');

/** Fills in the default level and checks the range. Throws `CONFIG_INVALID` naming `compression.level`. */
export function resolveCompression(settings: Partial<CompressionSettings> = {}): CompressionSettings {
  const algorithm = settings.algorithm ?? 'zstd';
  if (algorithm === 'none') return { algorithm };
  const level = settings.level ?? defaultCompressionLevel[algorithm];
  const [min, max] = algorithm === 'zstd' ? [1, 19] : [1, 9];
  if (level === undefined || !Number.isInteger(level) || level < min || level > max) {
    throw new BackupError(
      'CONFIG_INVALID',
      `compression.level must be an integer from ${min} to ${max} for ${algorithm} (got ${String(level)})`,
    );
  }
  return { algorithm, level };
}

/**
 * A compressing transform, or `undefined` for `none`. zstd output is a sequence of independent 2 MiB
 * frames compressed two at a time ({@link ParallelZstdCompress}); zstd never sets `nbWorkers`
 * (crashes in Node 24).
 */
export function createCompressStream(settings: CompressionSettings): Duplex | undefined {
  switch (settings.algorithm) {
    case 'zstd':
      return new ParallelZstdCompress({ level: settings.level ?? 3 });
    case 'gzip':
      return zlib().createGzip({ chunkSize: CHUNK_SIZE, level: settings.level ?? 6 });
    case 'none':
      return undefined;
  }
}

/** The matching decompressing transform, or `undefined` for `none`. */
export function createDecompressStream(algorithm: CompressionAlgorithm): Duplex | undefined {
  switch (algorithm) {
    case 'zstd':
      return zlib().createZstdDecompress({ chunkSize: CHUNK_SIZE });
    case 'gzip':
      return zlib().createGunzip({ chunkSize: CHUNK_SIZE });
    case 'none':
      return undefined;
  }
}
