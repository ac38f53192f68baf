import { BackupError, type BackupErrorCode, toBackupError } from '@backup/core';
import { Neo4jError } from 'neo4j-driver';

/**
 * Maps an error of the driver (or the server) to a {@link BackupError} with `code`, keeping a
 * `BackupError` as is. A `Neo4jError` keeps its status code in the message and in
 * `details.neo4jCode` (e.g. `Neo.ClientError.Security.Unauthorized`, `ServiceUnavailable`); the
 * original error becomes `cause`.
 *
 * @param message What was being done, e.g. `Exporting nodes of database neo4j`.
 */
export function driverError(error: unknown, code: BackupErrorCode, message: string): BackupError {
  if (error instanceof BackupError) return error;
  if (error instanceof Neo4jError) {
    return new BackupError(code, `${message}: ${error.message} (${error.code})`, {
      cause: error,
      details: { neo4jCode: error.code },
    });
  }
  return toBackupError(error, code, message);
}
