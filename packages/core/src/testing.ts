// @backup/core/testing: the shared contract suites every storage backend and engine must pass.

export { describeEngineContract } from './testing/describeEngineContract.js';
export { describeStorageContract } from './testing/describeStorageContract.js';

export type { EngineContractFixture } from './testing/describeEngineContract.js';
export type { StorageContractFixture } from './testing/describeStorageContract.js';
