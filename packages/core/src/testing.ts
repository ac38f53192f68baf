// @backup/core/testing: the shared contract suites every storage backend and engine must pass.

export type { EngineContractFixture } from './testing/describeEngineContract.js';
export { describeEngineContract } from './testing/describeEngineContract.js';
export type { StorageContractFixture } from './testing/describeStorageContract.js';
export { describeStorageContract } from './testing/describeStorageContract.js';
