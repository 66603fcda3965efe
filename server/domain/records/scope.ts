/**
 * What a write runs with (its transaction, caller and change notices), the server-only hooks an
 * entity adds around the shared rules, and which fields a write changed.
 */
import type { CollectionName, CreateOf, RecordOf } from '../../../shared/collections.js';
import type { Db } from '../../store/database.js';
import type { AnyRecord, Row } from '../../store/records.js';
import type { Ctx } from '../context.js';
import type { RecordService } from '../records.js';

export type Touch = (collection: CollectionName, version: number) => void;

export interface WriteScope {
  tx: Db;
  ctx: Ctx;
  touch: Touch;
  records: RecordService;
}

/**
 * The server-only part of an entity, around the shared rules (shared/entities/, run for every
 * entity by this service): side records (stage changes, a new pipeline's stages), keeping other
 * records consistent (stage positions, one default pipeline), cascades. Everything runs in the
 * write's transaction; the record passed in has been through the rules and validated.
 */
export interface EntityHooks<R extends Row = AnyRecord, I extends Row = Row> {
  /** Before a new record is stored (e.g. later stages move down to make room). */
  beforeCreate?(scope: WriteScope, record: R): Promise<void>;
  /** Before an update that changes fields is stored. */
  beforeUpdate?(scope: WriteScope, before: R, next: R): Promise<void>;
  /** After a create, with the validated input (e.g. a pipeline's initial stages). */
  afterCreate?(scope: WriteScope, record: R, input: I): Promise<void>;
  /** Side effects in the same transaction (stage changes, un-defaulting other pipelines). */
  afterWrite?(scope: WriteScope, before: R | null, after: R): Promise<void>;
  /** Before a delete the rules allow (e.g. a pipeline's stages go with it). */
  beforeDelete?(scope: WriteScope, record: R): Promise<void>;
}

/** The hooks of collection C, typed with its record and create input. */
export type HooksOf<C extends CollectionName> = EntityHooks<RecordOf<C> & AnyRecord, CreateOf<C> & Row>;
/** The hooks of the entities that have server-only work, by collection. */
export type EntityHookTable = { [C in CollectionName]?: HooksOf<C> };

export interface WriteOptions {
  /**
   * Expected current version (If-Match); 412 when it differs. Checked after the input is validated
   * (a bad input is 422 whatever the version). A function is called then: REST parses its If-Match
   * header there, so a malformed header does not hide a bad body either.
   */
  ifVersion?: number | (() => number | undefined);
  /**
   * The audit entry of the write is this action with this detail (a merge's target: one `merge`
   * entry with every snapshot), written even when no field changes.
   */
  audit?: { action: 'merge'; detail: Row };
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T/;

/** Equal values as stored: timestamps by instant, null and undefined alike, JSON by content. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string' && TIMESTAMP.test(a) && TIMESTAMP.test(b)) return Date.parse(a) === Date.parse(b);
  if (a == null && b == null) return true;
  if (typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

/** The fields whose values differ between two states of a record (server-managed ones left out). */
export function changedFields(before: Row, after: Row, fields?: string[]): string[] {
  const keys = fields ?? Object.keys(after);
  return keys.filter((k) => !['version', 'updatedAt', 'createdAt', 'workspaceId'].includes(k) && !sameValue(before[k], after[k]));
}
