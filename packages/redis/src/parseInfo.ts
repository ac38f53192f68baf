/**
 * Parses the text of `INFO` (`# Section` headers and `field:value` lines) into a flat map. Repeated
 * fields (`module:` lines) are kept in order, joined by `\n`.
 */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    out[key] = out[key] === undefined ? value : `${out[key]}\n${value}`;
  }
  return out;
}
