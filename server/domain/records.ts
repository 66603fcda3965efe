/**
 * The generic record service: get, list, create, update, archive, restore and delete for every
 * CRM collection. Entity rules (defaults, derived fields, references, stage changes) come from
 * each entity's hooks in ./entities/. REST, MCP, sync and the CLI all call these functions.
 */
import { sql, type ExpressionBuilder } from 'kysely';
import type { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { ListQuery } from '../../shared/schemas.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../store/database.js';
import { findLive, findStored, hasLabel, insertRow, nextVersion, rowToRecord, updateRow, type AnyRecord, type Row } from '../store/records.js';
import type { Store } from '../store/store.js';
import { writeAudit } from './audit.js';
import { nowIso, requireWrite, type Ctx } from './context.js';
import { conflict, DomainError, invalid, notFound, parseInput } from './errors.js';
import type { Role } from '../../shared/schemas.js';

export type Touch = (collection: CollectionName, version: number) => void;

export interface WriteScope {
  tx: Db;
  ctx: Ctx;
  touch: Touch;
  records: RecordService;
}

export interface EntityHooks {
  createSchema: z.ZodType;
  updateSchema: z.ZodType;
  /** Role needed to create/update/archive. */
  writeRole: Role;
  /**
   * Role needed to delete (default OWNER, SPEC §1). The one rule for every path — REST, MCP and
   * sync pushes all delete through `remove` — so a removal one path allows is never refused by
   * another (a member unlinking a deal contact).
   */
  deleteRole?: Role;
  /** Human name, e.g. "deal". */
  label: string;
  /** Defaults and derived fields of a new record (input already validated). */
  prepareCreate(scope: WriteScope, input: Row): Promise<Row>;
  /** Derives fields of an update in place (`next` = before + patch). */
  prepareUpdate?(scope: WriteScope, before: AnyRecord, next: Row, patch: Row): Promise<void>;
  /** Checks references and cross-field rules; throws ValidationError naming the field. */
  validate?(scope: WriteScope, record: Row, before: AnyRecord | null): Promise<void>;
  /** After a create, with the validated input (e.g. a pipeline's initial stages). */
  afterCreate?(scope: WriteScope, record: AnyRecord, input: Row): Promise<void>;
  /** Side effects in the same transaction (stage changes). */
  afterWrite?(scope: WriteScope, before: AnyRecord | null, after: AnyRecord): Promise<void>;
  /** Refuses a delete (e.g. a stage still used by deals). */
  beforeDelete?(scope: WriteScope, record: AnyRecord): Promise<void>;
  /** Turns an update patch's convenience fields into record fields (e.g. completed → completedAt). */
  normalizePatch?(patch: Row): Row;
}

export interface ListResult<T = AnyRecord> {
  data: T[];
  nextCursor: string | null;
}

export interface WriteOptions {
  /** Expected current version (If-Match); 412 when it differs. */
  ifVersion?: number;
}

/** '' → null for optional text, after trimming by the schemas. */
export function emptyToNull(input: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(input)) out[k] = v === '' ? null : v;
  return out;
}

function blankRecord(collection: CollectionName): Row {
  const shape = COLLECTIONS[collection].record.shape as Record<string, z.ZodType>;
  const out: Row = {};
  for (const key of Object.keys(shape)) {
    if (key === 'labels') out[key] = [];
    else if (key === 'custom') out[key] = {};
    else out[key] = null;
  }
  return out;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T/;

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string' && TIMESTAMP.test(a) && TIMESTAMP.test(b)) return Date.parse(a) === Date.parse(b);
  if (a == null && b == null) return true;
  if (typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

export function changedFields(before: Row, after: Row, fields?: string[]): string[] {
  const keys = fields ?? Object.keys(after);
  return keys.filter((k) => !['version', 'updatedAt', 'createdAt', 'workspaceId'].includes(k) && !sameValue(before[k], after[k]));
}

function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string): unknown[] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) return parsed;
  } catch {
    // fall through
  }
  throw invalid('cursor', 'must be a nextCursor returned by a previous page of the same list');
}

export class RecordService {
  constructor(
    readonly store: Store,
    private readonly hooks: Partial<Record<CollectionName, EntityHooks>>,
  ) {}

  hooksFor(collection: CollectionName): EntityHooks {
    const hooks = this.hooks[collection];
    if (!hooks) throw new DomainError(405, 'Method not allowed', `${collection} are written by the server only`);
    return hooks;
  }

  private entityName(collection: CollectionName): string {
    return this.hooks[collection]?.label ?? COLLECTIONS[collection].entityType;
  }

  /** A live (not deleted) record of the workspace, archived included. */
  async find(db: Db, ctx: Ctx, collection: CollectionName, id: string): Promise<AnyRecord | null> {
    return findLive(this.store, db, collection, ctx.workspaceId, id);
  }

  async get(ctx: Ctx, collection: CollectionName, id: string, db: Db = this.store.db): Promise<AnyRecord> {
    const record = await this.find(db, ctx, collection, id);
    if (!record) throw notFound(this.entityName(collection), id);
    return record;
  }

  /** Several records by id (missing ones left out), in one query. */
  async getMany(ctx: Ctx, collection: CollectionName, ids: string[], db: Db = this.store.db): Promise<Map<string, AnyRecord>> {
    const unique = [...new Set(ids.filter(Boolean))];
    const out = new Map<string, AnyRecord>();
    if (unique.length === 0) return out;
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await db
        .selectFrom(collection)
        .selectAll()
        .where('workspaceId', '=', ctx.workspaceId)
        .where('deleted', '=', 0)
        .where('id', 'in', unique.slice(i, i + 500))
        .execute();
      for (const row of rows) out.set(row.id, rowToRecord(collection, row));
    }
    return out;
  }

  async list(ctx: Ctx, collection: CollectionName, input: unknown, extra: Row = {}): Promise<ListResult> {
    const query = parseInput(ListQuery, input);
    const info = COLLECTIONS[collection];
    const limit = query.limit ?? 50;

    const sortParam = query.sort ?? '-createdAt';
    const desc = sortParam.startsWith('-');
    const sortField = desc ? sortParam.slice(1) : sortParam;
    const sortable = ['createdAt', 'updatedAt', ...info.sortFields];
    if (!sortable.includes(sortField)) {
      throw invalid('sort', `must be one of ${sortable.map((f) => `${f}, -${f}`).join(', ')}`);
    }
    const filters: Row = { ...extra };
    for (const key of ['organizationId', 'personId', 'dealId', 'pipelineId', 'stageId', 'status', 'type', 'ownerId'] as const) {
      if (query[key] === undefined) continue;
      if (!info.filterFields.includes(key)) throw invalid(key, `is not a filter of ${collection} (filters: ${info.filterFields.join(', ') || 'none'})`);
      filters[key] = query[key];
    }
    if (query.label !== undefined && !info.jsonFields.includes('labels')) throw invalid('label', `${collection} have no labels`);

    let q = this.store.db.selectFrom(collection).selectAll().where('workspaceId', '=', ctx.workspaceId).where('deleted', '=', 0);
    const archived = query.archived ?? 'false';
    if (archived === 'false') q = q.where('archivedAt', 'is', null);
    if (archived === 'true') q = q.where('archivedAt', 'is not', null);
    for (const [key, value] of Object.entries(filters)) q = q.where(key, '=', value);
    if (query.label !== undefined) q = q.where(hasLabel(collection, query.label));
    if (query.updatedSince) q = q.where('updatedAt', '>=', new Date(query.updatedSince).toISOString());
    if (query.q) {
      const pattern = `%${query.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      q = q.where((eb) => eb.or(info.searchFields.map((f) => sql<boolean>`${sql.ref(f)} like ${pattern} escape '\\'`)));
    }

    const nullable = !['createdAt', 'updatedAt', 'name', 'title', 'position', 'status', 'type', 'occurredAt', 'changedAt'].includes(sortField);
    const moneySort = info.moneyFields.includes(sortField);
    if (query.cursor) {
      const [value, id] = decodeCursor(query.cursor);
      const cmp = desc ? '<' : '>';
      const cursorValue = moneySort && value != null ? Number(value) : value;
      q = q.where((eb: ExpressionBuilder<any, any>) => {
        if (cursorValue === null) {
          return eb.and([eb(sortField, 'is', null), eb('id', cmp, id)]);
        }
        const after = eb.or([eb(sortField, cmp, cursorValue), eb.and([eb(sortField, '=', cursorValue), eb('id', cmp, id)])]);
        return nullable ? eb.or([eb.and([eb(sortField, 'is not', null), after]), eb(sortField, 'is', null)]) : after;
      });
    }
    if (nullable) q = q.orderBy(sql`${sql.ref(sortField)} is null`);
    q = q
      .orderBy(sortField, desc ? 'desc' : 'asc')
      .orderBy('id', desc ? 'desc' : 'asc')
      .limit(limit + 1);

    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor([last[sortField] ?? null, last.id]) : null;
    return { data: page.map((row) => rowToRecord(collection, row)), nextCursor };
  }

  /** Writes a record with a fresh version and announces it; used by every write path. */
  async put(scope: WriteScope, collection: CollectionName, record: Row, isNew: boolean, deleted = false): Promise<AnyRecord> {
    const version = await nextVersion(scope.tx);
    const stamped = { ...record, version, updatedAt: isNew && record.createdAt ? record.createdAt : nowIso() } as unknown as AnyRecord;
    if (isNew) await insertRow(scope.tx, collection, stamped);
    else await updateRow(scope.tx, collection, stamped.id, stamped, deleted);
    scope.touch(collection, version);
    return stamped;
  }

  /** Runs fn in a write transaction of the context's workspace. */
  transaction<T>(ctx: Ctx, fn: (scope: WriteScope) => Promise<T>): Promise<T> {
    return this.store.write(ctx.workspaceId, (tx, touch) => fn({ tx, ctx, touch, records: this }));
  }

  async create(ctx: Ctx, collection: CollectionName, input: unknown, scope?: WriteScope): Promise<{ record: AnyRecord; created: boolean }> {
    const hooks = this.hooksFor(collection);
    requireWrite(ctx, hooks.writeRole, `create ${hooks.label}s`);
    const data = emptyToNull(parseInput(hooks.createSchema, input) as Row);
    const run = async (s: WriteScope) => {
      if (data.id) {
        const existing = await findStored(s.tx, collection, data.id as string);
        if (existing) {
          const same = existing.record.workspaceId === ctx.workspaceId && !existing.deleted && Object.entries(data).every(([k, v]) => k === 'stages' || sameValue(existing.record[k], v));
          if (same) return { record: existing.record, created: false };
          throw conflict(`a ${hooks.label} with id ${data.id} already exists with different content`, { id: data.id });
        }
      }
      const prepared = await hooks.prepareCreate(s, data);
      const now = nowIso();
      const record: Row = {
        ...blankRecord(collection),
        ...prepared,
        id: (data.id as string | undefined) ?? (prepared.id as string | undefined) ?? newId(),
        workspaceId: ctx.workspaceId,
        createdAt: now,
        archivedAt: null,
        custom: validateCustom(prepared.custom ?? data.custom),
      };
      await hooks.validate?.(s, record, null);
      const stored = await this.put(s, collection, record, true);
      await writeAudit(s.tx, ctx, { entityType: COLLECTIONS[collection].entityType, entityId: stored.id, action: 'create', after: stored });
      await hooks.afterWrite?.(s, null, stored);
      await hooks.afterCreate?.(s, stored, data);
      return { record: stored, created: true };
    };
    return scope ? run(scope) : this.transaction(ctx, run);
  }

  async update(ctx: Ctx, collection: CollectionName, id: string, input: unknown, options: WriteOptions = {}, scope?: WriteScope): Promise<AnyRecord> {
    const hooks = this.hooksFor(collection);
    requireWrite(ctx, hooks.writeRole, `change ${hooks.label}s`);
    let patch = emptyToNull(parseInput(hooks.updateSchema, input) as Row);
    if (hooks.normalizePatch) patch = hooks.normalizePatch(patch);
    const run = async (s: WriteScope) => {
      const before = await this.get(ctx, collection, id, s.tx);
      if (options.ifVersion !== undefined && before.version !== options.ifVersion) {
        throw new DomainError(412, 'Precondition failed', `${hooks.label} ${id} has changed (version ${before.version}, If-Match named ${options.ifVersion}); read it again and retry`, [], {
          currentVersion: before.version,
        });
      }
      const next: Row = { ...before, ...patch };
      if ('custom' in patch) next.custom = validateCustom(patch.custom);
      await hooks.prepareUpdate?.(s, before, next, patch);
      const fields = changedFields(before, next);
      if (fields.length === 0) return before;
      await hooks.validate?.(s, next, before);
      const stored = await this.put(s, collection, next, false);
      await writeAudit(s.tx, ctx, {
        entityType: COLLECTIONS[collection].entityType,
        entityId: id,
        action: 'update',
        before,
        after: stored,
        changedFields: fields,
      });
      await hooks.afterWrite?.(s, before, stored);
      return stored;
    };
    return scope ? run(scope) : this.transaction(ctx, run);
  }

  async setArchived(ctx: Ctx, collection: CollectionName, id: string, archived: boolean, scope?: WriteScope): Promise<AnyRecord> {
    const hooks = this.hooksFor(collection);
    requireWrite(ctx, hooks.writeRole, `${archived ? 'archive' : 'restore'} ${hooks.label}s`);
    const run = async (s: WriteScope) => {
      const before = await this.get(ctx, collection, id, s.tx);
      if ((before.archivedAt !== null) === archived) return before;
      if (archived && collection === 'pipelines' && before.isDefault) {
        throw invalid('isDefault', 'the default pipeline cannot be archived; make another pipeline the default first');
      }
      const stored = await this.put(s, collection, { ...before, archivedAt: archived ? nowIso() : null }, false);
      await writeAudit(s.tx, ctx, {
        entityType: COLLECTIONS[collection].entityType,
        entityId: id,
        action: archived ? 'archive' : 'restore',
        before,
        after: stored,
        changedFields: ['archivedAt'],
      });
      return stored;
    };
    return scope ? run(scope) : this.transaction(ctx, run);
  }

  /**
   * Deletes (the entity's deleteRole, owners unless it says otherwise): leaves a tombstone so
   * replicating clients learn of it. `role` overrides the entity's rule (callers should not need it).
   */
  async remove(ctx: Ctx, collection: CollectionName, id: string, scope?: WriteScope, role?: Role): Promise<AnyRecord> {
    const hooks = this.hooksFor(collection);
    requireWrite(ctx, role ?? hooks.deleteRole ?? 'OWNER', `delete ${hooks.label}s`);
    const run = async (s: WriteScope) => {
      const before = await this.get(ctx, collection, id, s.tx);
      await hooks.beforeDelete?.(s, before);
      const stored = await this.put(s, collection, before, false, true);
      await writeAudit(s.tx, ctx, { entityType: COLLECTIONS[collection].entityType, entityId: id, action: 'delete', before, after: null });
      return stored;
    };
    return scope ? run(scope) : this.transaction(ctx, run);
  }

  /**
   * Checks that a referenced record exists (live) in the workspace; throws naming the field.
   * With `before`, a reference the write leaves unchanged is not re-checked, so a record whose
   * organization (say) was deleted can still be edited.
   */
  async requireRef(s: WriteScope, collection: CollectionName, id: unknown, field: string, before?: AnyRecord | null): Promise<AnyRecord | null> {
    if (id == null) return null;
    const found = await this.find(s.tx, s.ctx, collection, String(id));
    if (!found && before && before[field] === id) return null;
    if (!found) throw invalid(field, `${this.entityName(collection)} ${String(id)} does not exist in this workspace`);
    return found;
  }
}

/** Custom field values are validated against the workspace's definitions; none exist yet. */
function validateCustom(custom: unknown): Row {
  const value = (custom ?? {}) as Row;
  const keys = Object.keys(value);
  if (keys.length > 0) throw invalid(`custom.${keys[0]}`, `unknown custom field '${keys[0]}' (this workspace defines no custom fields)`);
  return {};
}
