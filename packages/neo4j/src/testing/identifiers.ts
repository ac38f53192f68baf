/** A backtick-quoted Cypher identifier, as a regular expression source (one capture group). */
export const QUOTED = '`((?:[^`]|``)+)`';

/** The name inside a backtick-quoted identifier. */
export function unquote(text: string): string {
  return text.replaceAll('``', '`');
}

/** All quoted identifiers of `text`, unquoted, in order. */
export function quotedNames(text: string): string[] {
  return [...text.matchAll(new RegExp(QUOTED, 'g'))].map((m) => unquote(m[1]!));
}
