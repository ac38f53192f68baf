import type { CliContext } from '../CliContext.js';
import { formatBytes } from '../output/formatBytes.js';
import { formatTable } from '../output/formatTable.js';

/** `backup show <set-id|latest> --job NAME [--json]`: a set's manifest, human-readable or as JSON. */
export async function showCommand(
  ctx: CliContext,
  ref: string,
  options: { job: string; json?: boolean },
): Promise<void> {
  const job = ctx.job(options.job);
  const m = await ctx.catalog.resolve(job.name, ref);
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(m, null, 2)}\n`);
    return;
  }
  const lines = [
    `Set       ${m.job}/${m.id}`,
    `Engine    ${m.engine.name} ${m.engine.version ?? ''}`.trimEnd(),
    `Started   ${m.startedAt}`,
    `Finished  ${m.finishedAt}`,
    `Tool      ${m.tool.name} ${m.tool.version}`,
    `Units     ${m.units.map((u) => `${u.name} (${u.kind})`).join(', ')}`,
    '',
    formatTable(
      ['ARTIFACT', 'UNIT', 'PLAINTEXT', 'STORED', 'COMPRESSION', 'ENCRYPTED', 'SHA256 (stored)'],
      m.artifacts.map((a) => [
        a.name,
        a.unit,
        formatBytes(a.plaintextBytes),
        formatBytes(a.storedBytes),
        a.compression.algorithm + (a.compression.level === undefined ? '' : `-${a.compression.level}`),
        a.encryption ? `age (${a.encryption.recipients.length} recipient(s))` : 'no',
        a.storedSha256,
      ]),
    ),
  ];
  ctx.stdout.write(`${lines.join('\n')}\n`);
}
