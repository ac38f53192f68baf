// @backup/postgres public API: explicit named exports, types kept apart.

export { checkPgDumpVersion, checkPgRestoreVersion } from './checkPgDumpVersion.js';
export { connectionEnv } from './connectionEnv.js';
export type { PostgresEngineOptions, PostgresRestoreOptions } from './createPostgresEngine.js';
export { createPostgresEngine, GLOBALS_UNIT } from './createPostgresEngine.js';
export { dbnameArg } from './dbnameArg.js';
export { dumpArtifactName } from './dumpArtifactName.js';
export type { DatabaseContents } from './inspectDatabase.js';
export { inspectDatabase, isEmptyDatabase } from './inspectDatabase.js';
export type { DatabaseInfo } from './listDatabases.js';
export { listDatabases } from './listDatabases.js';
export { POSTGRES_DUMP_MEDIA_TYPE, POSTGRES_GLOBALS_MEDIA_TYPE } from './mediaTypes.js';
export type { ConnectErrorCode } from './openClient.js';
export { openClient } from './openClient.js';
export type { PostgresJobOptions } from './postgresJobOptionsSchema.js';
export { postgresJobOptionsSchema } from './postgresJobOptionsSchema.js';
export { resolveBinDir, toolPath } from './resolveBinDir.js';
export { selectDatabases } from './selectDatabases.js';
export type { ToolVersion } from './toolVersion.js';
export { parseToolVersion, readToolVersion, serverMajor } from './toolVersion.js';
export type { DumpToc, VerifyDumpOptions } from './verifyDump.js';
export { verifyDump } from './verifyDump.js';
export { verifyGlobals } from './verifyGlobals.js';
