import { BackupError } from '@backup/core';
import type { Prompter } from '@backup/restore';
import { checkbox, confirm, select } from '@inquirer/prompts';

/** Streams the prompts use: the terminal's input, and stderr so stdout stays for results. */
export interface PrompterIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  signal?: AbortSignal | undefined;
}

/**
 * The {@link Prompter} of `backup-restore` on a terminal, with `@inquirer/prompts` (`select`,
 * `checkbox`, `confirm`). Ctrl-C (inquirer's `ExitPromptError`) and the abort signal become
 * `ABORTED` (exit 130).
 */
export function inquirerPrompter(io: PrompterIo): Prompter {
  const context = { input: io.input, output: io.output, ...(io.signal ? { signal: io.signal } : {}) };
  const ask = async <T>(prompt: () => Promise<T>): Promise<T> => {
    try {
      return await prompt();
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') {
        throw new BackupError('ABORTED', 'Restore cancelled at the prompt', { cause: error });
      }
      throw error;
    }
  };
  return {
    select: (q) =>
      ask(() =>
        select({ message: `${q.message} (${q.flag})`, choices: q.choices.map((c) => ({ ...c })) }, context),
      ),
    checkbox: (q) =>
      ask(() =>
        checkbox(
          {
            message: `${q.message} (${q.flag})`,
            choices: q.choices.map((c) => ({ ...c })),
            required: true,
          },
          context,
        ),
      ),
    confirm: (q) =>
      ask(() =>
        confirm({ message: `${q.message} (${q.flag} skips this)`, default: q.default ?? false }, context),
      ),
  };
}
