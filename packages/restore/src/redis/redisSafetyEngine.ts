import type { ConnectionOptions } from 'node:tls';
import type { ArtifactSink, BackupUnit, Engine, EngineContext } from '@backup/core';
import type { RedisEndpoint } from '@backup/redis';
import { inspectRedisTarget } from './inspectRedisTarget.js';

/** What the safety backup of a Redis restore backs up: these databases of this server, in keys mode. */
export interface RedisSafetySource {
  /** Server URL (the restore's `--target`, else the job's `url`). */
  url: string;
  /** Databases the restore writes to that hold keys (for a cluster: `[0]`). */
  databases: number[];
  /** The target is a Redis Cluster (one unit per master). */
  cluster: boolean;
}

/** Input of {@link redisSafetyEngine}. */
export interface RedisSafetyEngineInput {
  /** The target, parsed. */
  endpoint: RedisEndpoint;
  /** Its URL, as given (credentials included: it goes to the engine only). */
  url: string;
  /** Databases the restore writes to (non-empty ones are backed up). */
  databases: number[];
  tls?: ((host: string) => ConnectionOptions | undefined) | undefined;
  /** Builds the job's Redis engine for `source` (keys mode, exactly `source.databases`). */
  // biome-ignore lint/suspicious/noExplicitAny: any engine: it is only backed up with
  create(source: RedisSafetySource): Engine<any>;
}

/**
 * The safety-backup engine of a Redis network restore with `--force`: the job's engine in keys
 * mode (`SCAN` + `DUMP`, no `SYNC`: it works on any server the restore can write to, module values
 * such as FalkorDB graphs included) on the target, limited to the databases the restore writes to.
 * It is built on first use (`describe`), after reading whether the target is a cluster; its
 * `discover` keeps the databases that hold keys at that moment (all of them when none does), so the
 * safety set holds exactly what the restore can overwrite. Restoring it with `--force` puts those
 * keys back (keys the restore added stay, as with any `--force` restore).
 */
// biome-ignore lint/suspicious/noExplicitAny: any engine: it is only backed up with
export function redisSafetyEngine(input: RedisSafetyEngineInput): Engine<any> {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  let inner: Engine<any> | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const engine = async (ctx: EngineContext): Promise<Engine<any>> => {
    if (!inner) {
      const state = await inspectRedisTarget(input.endpoint, input.tls, ctx);
      inner = input.create({
        url: input.url,
        databases: state.cluster ? [0] : [...input.databases],
        cluster: state.cluster,
      });
    }
    return inner;
  };
  return {
    name: 'redis',
    describe: async (ctx) => (await engine(ctx)).describe(ctx),
    async discover(ctx: EngineContext): Promise<BackupUnit[]> {
      const units = await (await engine(ctx)).discover(ctx);
      const holding = units.filter((u) => u.kind !== 'database' || Number(u.metadata?.['keys'] ?? 0) > 0);
      return holding.length > 0 ? holding : units;
    },
    backup: async (unit: BackupUnit, sink: ArtifactSink, ctx: EngineContext) =>
      (await engine(ctx)).backup(unit, sink, ctx),
    verify: async (artifact, plaintext, ctx) => (await engine(ctx)).verify(artifact, plaintext, ctx),
    restore: async (restoreInput, ctx) => (await engine(ctx)).restore(restoreInput, ctx),
  };
}
