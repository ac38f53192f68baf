import type { ConnectionOptions } from 'node:tls';
import { BackupError, type EngineContext } from '@backup/core';
import { endpointLabel } from '@backup/redis';
import type { RedisTargetState } from './inspectRedisTarget.js';
import { RespConnection } from './RespConnection.js';

/**
 * Empties a Redis drill server: `FLUSHALL SYNC` on the server, or on every master of a cluster
 * (`state.nodes`). Only for scratch targets a drill filled itself. Needs `+flushall`.
 *
 * @throws BackupError `RESTORE_FAILED` naming the node that refused or could not be reached.
 */
export async function flushRedisTarget(
  state: RedisTargetState,
  tls: ((host: string) => ConnectionOptions | undefined) | undefined,
  ctx: EngineContext,
): Promise<void> {
  for (const node of state.nodes) {
    const connection = await RespConnection.open(node, {
      tls: node.tls ? tls?.(node.host) : undefined,
      signal: ctx.signal,
    });
    try {
      await connection.command('FLUSHALL', 'SYNC');
    } catch (error) {
      throw new BackupError(
        'RESTORE_FAILED',
        `FLUSHALL on the drill server ${endpointLabel(node)} failed: ${(error as Error).message}` +
          ' (the drill user needs +flushall)',
        { cause: error },
      );
    } finally {
      connection.close();
    }
  }
}
