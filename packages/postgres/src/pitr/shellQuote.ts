/**
 * Quotes one word for `/bin/sh` (how the server runs `restore_command` and `archive_command`):
 * returned as is when it holds only safe characters (letters, digits, `_./:=@%+,-`), else in single
 * quotes with each `'` written `'\''`.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
