import { codecError } from './codecError.js';

const INTEGER_LITERAL = /^-?\d+$/;

interface ReviverContext {
  source?: string;
}

/**
 * `JSON.parse` without precision loss: integer literals beyond ±(2^53 - 1) become `bigint`
 * (read from their source text, ES2025 "JSON.parse source text access", Node.js >= 21), every
 * other value is what `JSON.parse` returns (`-0.0` is `-0`).
 *
 * @param text One JSON document, e.g. one line of a `.graph.jsonl` artifact.
 * @param where Names the text in the error message (`orders.graph.jsonl line 12`).
 * @throws BackupError `VERIFY_FAILED` when `text` is not valid JSON.
 */
export function parseExactJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text, (_key: string, value: unknown, context?: ReviverContext) => {
      if (
        typeof value === 'number' &&
        !Number.isSafeInteger(value) &&
        context?.source !== undefined &&
        INTEGER_LITERAL.test(context.source)
      ) {
        return BigInt(context.source);
      }
      return value;
    });
  } catch (error) {
    throw codecError(`${where}: not valid JSON (${(error as Error).message})`, error);
  }
}
