/**
 * Artifact name of a database's dump: `<database>.dump` (`outline.dump`, as in the seeds' layout
 * `agentic/postgresql/<set>/outline.dump`). Characters other than letters, digits, `_`, `-` and
 * `.` are percent-encoded (UTF-8) so any database name makes a safe single path segment; the real
 * name is kept in the artifact's `metadata.database` and the unit name.
 */
export function dumpArtifactName(database: string): string {
  const safe = [...Buffer.from(database, 'utf8')]
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9_.-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return `${safe}.dump`;
}
