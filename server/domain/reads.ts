/**
 * The read port the domain exposes to adapters for what is not a business operation: the shapes
 * of stored records. Adapters (REST, MCP, sync) import these from here, never from server/store/
 * (the linter enforces it).
 */
export type { AnyRecord, StoredRecord } from '../store/records.js';
export type { ChangeNotice } from '../store/store.js';
