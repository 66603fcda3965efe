/**
 * Kith client data layer — the contract the UI builds against.
 * One RxDB database per server + workspace (Dexie storage in the browser), replicated to /sync.
 */
export { openKithStore, databaseName, KithConnectionError } from './store.js';
export type { Connection, SyncStatus, WorkspaceInfo, RejectedChange, CollectionName, KithStore, OpenOptions, InfoCache } from './store.js';
export { KithValidationError } from './rules.js';
