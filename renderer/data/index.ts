/**
 * Kith client data layer — the contract the UI builds against.
 * One RxDB database per server + workspace (Dexie storage in the browser), replicated to /sync.
 */
export { openKithStore } from './store.js';
export type { KithStore, OpenOptions } from './store.js';
export { databaseName } from './database.js';
export { KithConnectionError } from './connection.js';
export type { Connection, WorkspaceInfo, InfoCache } from './connection.js';
export type { SyncStatus } from './status.js';
export type { RejectedChange } from '../../shared/sync.js';
export type { CollectionName } from '../../shared/collections.js';
export { KithValidationError } from './rules.js';
