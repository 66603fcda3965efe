/**
 * The /sync replication protocol (SPEC §5), shared by the server and the client data layer.
 *
 * - Checkpoint: `{ sequence: n }` where n is the server's global change sequence (the `version`
 *   of the last document handed out for that collection). In the pull URL it travels as the bare
 *   number: `GET /sync/:collection/pull?checkpoint=<n>&limit=<m>`.
 * - Documents are the shared *Record shapes plus `_deleted` (tombstones).
 * - Push: `POST /sync/:collection/push` with `PushRow[]` → the server's current documents for the
 *   rows that did not end up exactly as pushed (merged, refused, normalised); `[]` when none.
 * - Stream: `GET /sync/stream` (SSE). Each `data:` line is either the text `RESYNC` or a JSON
 *   `StreamEvent`. Comment lines (`: ping`) are heartbeats.
 */
import { COLLECTIONS, COLLECTION_NAMES, type CollectionName } from './collections.js';

export { COLLECTION_NAMES, type CollectionName };

export interface SyncCheckpoint {
  sequence: number;
}

export type SyncDocument = Record<string, unknown> & { id: string; _deleted: boolean };

export interface PullResponse {
  documents: SyncDocument[];
  checkpoint: SyncCheckpoint | null;
}

export interface PushRow {
  assumedMasterState?: SyncDocument | null;
  newDocumentState: SyncDocument;
}

export interface StreamEvent {
  collection: CollectionName;
  documents: SyncDocument[];
  checkpoint: SyncCheckpoint;
}

export const RESYNC = 'RESYNC' as const;

/** A refused push, as listed by `GET /sync/rejections` (from the audit log). */
export interface RejectedChange {
  id: string;
  collection: string;
  documentId: string;
  reason: string;
  at: string;
  attempted: Record<string, unknown> | null;
}

/** Default and maximum documents per pull. */
export const PULL_DEFAULT_LIMIT = 1000;
export const PULL_MAX_LIMIT = 5000;
/** Maximum rows per push request. */
export const PUSH_MAX_ROWS = 1000;
/** Seconds between SSE heartbeats. */
export const HEARTBEAT_SECONDS = 15;

/** Record fields a client may set when it creates a document (what the server takes on push). */
export function creatableFields(collection: CollectionName): string[] {
  const { create, record } = COLLECTIONS[collection];
  if (!create) return [];
  return Object.keys(create.shape).filter((k) => k in record.shape && k !== 'id');
}

/**
 * Record fields a client may change on an existing document; they are merged field by field.
 * `archivedAt` is handled as archive/restore, `_deleted` as delete. Anything else (the fixed
 * fields, such as the deal and person of a deal contact or the pipeline of a stage, derived fields
 * such as domain or wonAt, server fields) is the server's.
 */
export function mergeableFields(collection: CollectionName): string[] {
  const fixed = new Set(COLLECTIONS[collection].fixedFields);
  return creatableFields(collection).filter((f) => !fixed.has(f));
}

/** Pull checkpoint from the query string: a bare non-negative integer (0 or absent = from the start). */
export function parseCheckpointParam(value: unknown): number | null {
  if (value === undefined || value === '') return 0;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return null;
  return Number(value);
}
