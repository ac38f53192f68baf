/** Removes the password from a connection URL for display: `postgres://u:***@h:5432/db`. Non-URLs pass through. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
