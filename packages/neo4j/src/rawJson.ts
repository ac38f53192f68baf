/**
 * A JSON fragment that `JSON.stringify` writes verbatim: the object made by the ES2025
 * `JSON.rawJSON(text)` (Node.js >= 21; this package needs Node.js >= 22.12). It carries exact
 * numbers a JavaScript `number` cannot hold: int64 values beyond 2^53 (`9223372036854775807`)
 * and the negative zero float (`-0.0`). Read its text from `rawJSON`.
 */
export interface RawJson {
  /** The exact JSON text, e.g. `"9223372036854775807"`. */
  readonly rawJSON: string;
}

interface JsonWithRaw {
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): boolean;
}

const json = JSON as unknown as JsonWithRaw;

/**
 * Wraps `text` (a JSON number literal) so that `JSON.stringify` writes it as is.
 *
 * @param text A JSON primitive literal, e.g. `-9223372036854775808` or `-0.0`.
 * @throws SyntaxError when `text` is not a JSON primitive (the engine validates it).
 */
export function rawJson(text: string): RawJson {
  return json.rawJSON(text);
}

/** True for an object made by {@link rawJson} (`JSON.isRawJSON`). */
export function isRawJson(value: unknown): value is RawJson {
  return json.isRawJSON(value);
}
