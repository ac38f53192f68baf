import { createInterface } from 'node:readline/promises';
import { BackupError } from '@backup/core';

/**
 * Asks a yes/no question on a TTY (default no). Without a TTY it refuses with `CONFIG_INVALID`
 * telling the caller to pass `--yes`, so an unattended run never proceeds by accident.
 */
export async function confirm(
  question: string,
  io: { stdin: NodeJS.ReadStream; stderr: NodeJS.WriteStream },
): Promise<boolean> {
  if (!io.stdin.isTTY) {
    throw new BackupError(
      'CONFIG_INVALID',
      'Not a terminal: pass --yes to confirm the restore non-interactively',
    );
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
