import type { Engine, EngineContext } from '@backup/core';

/**
 * An engine built on first use, from what the target looks like at that moment (the safety backup
 * of an adapter: which collections hold points, whether a server is a cluster). Every call goes to
 * the engine `create` resolves, created once.
 */
// biome-ignore lint/suspicious/noExplicitAny: any engine: safety engines are only backed up with
export function lazyEngine(name: string, create: (ctx: EngineContext) => Promise<Engine<any>>): Engine<any> {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  let engine: Promise<Engine<any>> | undefined;
  const get = (ctx: EngineContext) => {
    engine ??= create(ctx);
    return engine;
  };
  return {
    name,
    describe: async (ctx) => (await get(ctx)).describe(ctx),
    discover: async (ctx) => (await get(ctx)).discover(ctx),
    backup: async (unit, sink, ctx) => (await get(ctx)).backup(unit, sink, ctx),
    verify: async (artifact, plaintext, ctx) => (await get(ctx)).verify(artifact, plaintext, ctx),
    restore: async (input, ctx) => (await get(ctx)).restore(input, ctx),
  };
}
