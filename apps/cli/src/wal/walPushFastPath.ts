// Loads Node built-ins and @backup/postgres/wal-spool only (no zod, yaml, pino, AWS SDK, pg).
import { basename } from 'node:path';
import {
  defaultWalSpoolDir,
  liveHelper,
  markerProves,
  readSpoolMarker,
  removeSpoolMarker,
  waitForMarker,
} from '@backup/postgres/wal-spool';
import { parseWalPushArgv } from './walArgv.js';
import { walTargetFingerprint } from './walTarget.js';

/** How long a call waits for the archive helper's marker of its file: 60 s. */
export const HELPER_WAIT_MS = 60_000;

/**
 * The first step of `backup wal-push`: when an earlier call of the same repository fingerprint
 * pushed this file ahead (`pushWalFiles` look-ahead) and left a spool marker that still matches
 * the file's bytes (size and sha256) and the fingerprint (`walTargetFingerprint`), the file is
 * archived: removes the marker and resolves `true` (exit 0). Without a marker but with a live
 * archive helper (`drainReadyWalFiles`, started by an earlier call), waits up to
 * {@link HELPER_WAIT_MS} for the helper's marker, as pgBackRest's archive-push waits for its
 * asynchronous process's `.ok` file; a helper that exits first, or a marker that does not prove
 * the file, means the full push. Otherwise, including any error or
 * argument it does not understand, resolves `false` and the full CLI runs. Never claims success
 * for anything not proven by a marker.
 */
export async function walPushFastPath(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const args = parseWalPushArgv(argv);
    if (!args) return false;
    const spoolDir = args.spoolDir ?? defaultWalSpoolDir(args.path);
    const name = basename(args.path);
    const marker = await readSpoolMarker(spoolDir, name);
    if (!marker && (await liveHelper(spoolDir)) === undefined) return false;
    const target = await walTargetFingerprint({ configPath: args.config, env, job: args.job });
    if (target === undefined) return false;
    const proven = marker
      ? await markerProves(marker, args.path, target)
      : await waitForMarker(spoolDir, args.path, target, HELPER_WAIT_MS);
    if (!proven) return false;
    await removeSpoolMarker(spoolDir, name).catch(() => {});
    return true;
  } catch {
    return false;
  }
}
