// @backup/qdrant/testing: the spec-validated Qdrant HTTP test double, for tests of this package and of
// packages that drive the qdrant engine (the restore adapter of @backup/restore). Not for production.

export type { DoublePeer } from './testing/DoubleStore.js';
export { DoubleStore } from './testing/DoubleStore.js';
export { snapshotFiles } from './testing/doubleRoutes.js';
export type { DoubleFaults, DoubleRequest, QdrantDoubleOptions } from './testing/QdrantDouble.js';
export { QdrantDouble, startQdrantCluster } from './testing/QdrantDouble.js';
export { qdrantSpecPath } from './testing/qdrantSpecPath.js';
export type { SpecViolation } from './testing/SpecValidator.js';
export { SpecValidator } from './testing/SpecValidator.js';
