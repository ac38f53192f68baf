import type { Readable } from 'node:stream';
import { codecError } from './codecError.js';
import { type Neo4jSchemaDocument, neo4jSchemaDocumentSchema } from './schemaDocument.js';

/**
 * Reads and validates a `.schema.json` plaintext (consumed to its end) against
 * {@link neo4jSchemaDocumentSchema}.
 *
 * @param name The artifact name, for messages.
 * @throws BackupError `VERIFY_FAILED` naming the first invalid fields; the stream's own errors
 *   (`CHECKSUM_MISMATCH`...) pass through.
 */
export async function verifySchemaArtifact(plaintext: Readable, name: string): Promise<Neo4jSchemaDocument> {
  const chunks: Buffer[] = [];
  for await (const chunk of plaintext)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw codecError(`${name}: not valid JSON (${(error as Error).message})`, error);
  }
  const result = neo4jSchemaDocumentSchema.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw codecError(`${name}: not a Neo4j schema document: ${issues.join('; ')}`);
  }
  return result.data;
}
