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
import { ActivityCreate, DealContactCreate, DealCreate, OrganizationCreate, PersonCreate, PipelineCreate, StageCreate } from './schemas.js';

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

/** Collections a client may push to (stage changes are written by the server only). */
export const PUSHABLE_COLLECTIONS = COLLECTION_NAMES.filter((c) => COLLECTIONS[c].pushable);

/**
 * Push order: a collection's references live in collections earlier in this list, so a client
 * pushes parents before children (an organization before the person that works there).
 */
export const PUSH_ORDER: CollectionName[] = ['organizations', 'people', 'pipelines', 'stages', 'deals', 'dealContacts', 'activities'];

/** Collections whose records a document of `collection` may reference. */
export const PARENTS: Record<CollectionName, CollectionName[]> = {
  organizations: [],
  people: ['organizations'],
  pipelines: [],
  stages: ['pipelines'],
  deals: ['organizations', 'people', 'pipelines', 'stages'],
  dealContacts: ['deals', 'people'],
  activities: ['organizations', 'people', 'deals'],
  stageChanges: [],
};

const CREATE_SCHEMAS = {
  organizations: OrganizationCreate,
  people: PersonCreate,
  deals: DealCreate,
  dealContacts: DealContactCreate,
  activities: ActivityCreate,
  pipelines: PipelineCreate,
  stages: StageCreate,
} as const;

/** Extra create fields of collections whose parent id comes from the route in REST. */
const EXTRA_CREATE_FIELDS: Partial<Record<CollectionName, string[]>> = {
  dealContacts: ['dealId'],
  stages: ['pipelineId'],
};

/** Record fields a client may set when it creates a document (what the server takes on push). */
export function creatableFields(collection: CollectionName): string[] {
  if (collection === 'stageChanges') return [];
  const schema = CREATE_SCHEMAS[collection];
  const record = COLLECTIONS[collection].record.shape as Record<string, unknown>;
  const keys = Object.keys(schema.shape).filter((k) => k in record && k !== 'id');
  return [...keys, ...(EXTRA_CREATE_FIELDS[collection] ?? [])];
}

/**
 * Record fields a client may change on an existing document; they are merged field by field.
 * `archivedAt` is handled as archive/restore, `_deleted` as delete. Anything else (ids of the
 * parent of a deal contact or stage, derived fields such as domain or wonAt, server fields) is
 * the server's.
 */
export function mergeableFields(collection: CollectionName): string[] {
  if (collection === 'stageChanges') return [];
  const fixed = new Set(EXTRA_CREATE_FIELDS[collection] ?? []);
  if (collection === 'dealContacts') fixed.add('personId');
  return creatableFields(collection).filter((f) => !fixed.has(f));
}

/** Pull checkpoint from the query string: a bare non-negative integer (0 or absent = from the start). */
export function parseCheckpointParam(value: unknown): number | null {
  if (value === undefined || value === '') return 0;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return null;
  return Number(value);
}
