/**
 * The generic record service: get, list, create, update, archive, restore and delete for every
 * CRM collection of the registry (shared/collections.ts). Validation and entity rules (defaults,
 * derived fields, references) are the shared ones (shared/rules.ts, shared/entities/), read
 * through the SQL read port; permissions are shared/permissions.ts; the server-only work around a
 * write (stage changes, stage positions, cascades) is each entity's hooks in ./entities/. REST,
 * MCP, sync and the CLI all call these functions. Beside it, in ./records/: scope.ts (what a
 * write runs with, the hooks' shape, changed fields) and list.ts (the list query).
 */
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { mayChangeRecord, requiredRole, visibleTo, type RecordAction } from '../../shared/permissions.js';
import { checkArchive, checkRemove, parseCreate, parseUpdate, prepareCreate, prepareUpdate, RuleError, validateRecord, writable, type RuleContext } from '../../shared/rules.js';
import type { Role } from '../../shared/schemas.js';
import type { Db } from '../store/database.js';
import { SqlRecordReader } from '../store/reader.js';
import { findLive, findStored, insertRow, nextVersion, rowToRecord, updateRow, type AnyRecord, type Row } from '../store/records.js';
import type { Store } from '../store/store.js';
import { forgetInTransaction } from '../store/txMemo.js';
import { writeAudit } from './audit.js';
import { nowIso, requireWrite, type Ctx } from './context.js';
import { conflict, DomainError, forbidden, notFound, ValidationError } from './errors.js';
import { mergedInto } from './operations.js';
import { afterPut, beforePut } from './records/computed.js';
import { listRecords, type ListResult } from './records/list.js';
import { changedFields, sameValue, type EntityHookTable, type EntityHooks, type WriteOptions, type WriteScope } from './records/scope.js';

/**
 * A rule's refusal as the domain reports it: `invalid` naming the fields, or `conflict` when the data
 * as it stands forbids the write (with the field it is about, when there is one: a duplicate deal
 * contact's personId, as the client reports it).
 */
function domainErrorOf(error: unknown): unknown {
  if (!(error instanceof RuleError)) return error;
  if (error.kind === 'invalid') return new ValidationError(error.errors);
  return new DomainError(
    'conflict',
    error.message,
    error.errors.filter((e) => e.path !== ''),
    error.extra,
  );
}

async function ruled<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw domainErrorOf(error);
  }
}

export class RecordService {
  constructor(
    readonly store: Store,
    private readonly hooks: EntityHookTable,
  ) {}

  /** The registry entry of a collection clients may write (405 for the server's own, such as stage changes). */
  private registryEntry(collection: CollectionName) {
    const info = writable(collection);
    if (!info) throw new DomainError('server_only', `${collection} are written by the server only`);
    return info;
  }

  private hooksOf(collection: CollectionName): EntityHooks<AnyRecord> {
    return (this.hooks[collection] ?? {}) as EntityHooks<AnyRecord>;
  }

  /** Throws 403 unless the caller may perform `action` on the collection (shared/permissions.ts). */
  private permit(ctx: Ctx, collection: CollectionName, action: RecordAction, what: string, role?: Role): void {
    requireWrite(ctx, role ?? requiredRole(collection, action) ?? 'OWNER', what);
  }

  /**
   * Throws 403 unless the caller may perform `action` on this very record: for collections whose
   * records belong to a user (saved views), its owner or a workspace owner (shared/permissions.ts).
   */
  private permitRecord(ctx: Ctx, collection: CollectionName, action: RecordAction, record: AnyRecord): void {
    if (!COLLECTIONS[collection].ownership || mayChangeRecord({ role: ctx.role, readOnly: ctx.readOnly, userId: ctx.userId }, action, collection, record)) return;
    throw forbidden(`Only the owner of this ${this.entityName(collection)} or a workspace owner can ${action === 'update' ? 'change' : action} it`);
  }

  private entityName(collection: CollectionName): string {
    return COLLECTIONS[collection].label;
  }

  /** What the shared entity rules read and know in a write of `ctx` on `db` (the write's transaction). */
  ruleContext(db: Db, ctx: Ctx): RuleContext {
    return { reader: new SqlRecordReader(db, ctx.workspaceId, this.store), workspaceId: ctx.workspaceId, defaultCurrency: ctx.workspace.defaultCurrency, actorId: ctx.userId, now: nowIso };
  }

  /** A live (not deleted) record of the workspace, archived included. */
  async find(db: Db, ctx: Ctx, collection: CollectionName, id: string): Promise<AnyRecord | null> {
    const record = await findLive(this.store, db, collection, ctx.workspaceId, id);
    // another user's personal view does not exist for the caller
    return record && visibleTo(collection, record, ctx.userId) ? record : null;
  }

  async get(ctx: Ctx, collection: CollectionName, id: string, db: Db = this.store.db): Promise<AnyRecord> {
    const record = await this.find(db, ctx, collection, id);
    if (!record) {
      // a merged person or organization: the 404 names the record it lives on in
      const target = collection === 'people' || collection === 'organizations' ? await mergedInto(db, ctx.workspaceId, COLLECTIONS[collection].entityType, id) : null;
      if (target) throw new DomainError('not_found', `${this.entityName(collection)} ${id} was merged into ${target}`, [], { mergedInto: target });
      throw notFound(this.entityName(collection), id);
    }
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

  /** A page of a collection's records, filtered, searched and sorted as the query says (server/domain/records/list.ts). */
  list(ctx: Ctx, collection: CollectionName, input: unknown, extra: Row = {}): Promise<ListResult> {
    return listRecords(this.store.db, ctx, collection, input, extra);
  }

  /**
   * Writes a record with a fresh version and announces it; used by every write path. The computed
   * fields it affects are kept current in the same transaction (./records/computed.ts).
   */
  async put(scope: WriteScope, collection: CollectionName, record: Row, isNew: boolean, deleted = false): Promise<AnyRecord> {
    const version = await nextVersion(scope.tx);
    const stamped = { ...record, version, updatedAt: isNew && record.createdAt ? record.createdAt : nowIso() } as unknown as AnyRecord;
    const stored = await beforePut(scope, collection, stamped, isNew);
    if (isNew) await insertRow(scope.tx, collection, stamped);
    else await updateRow(scope.tx, collection, stamped.id, stamped, deleted);
    scope.touch(collection, version);
    // the rules of the records this transaction writes next read the definitions as they now are
    if (collection === 'fields') forgetInTransaction(scope.tx, 'fields:');
    await afterPut(scope, collection, stored, stamped, isNew, deleted);
    return stamped;
  }

  /** Runs fn in a write transaction of the context's workspace. */
  transaction<T>(ctx: Ctx, fn: (scope: WriteScope) => Promise<T>): Promise<T> {
    return this.store.write(ctx.workspaceId, (tx, touch) => fn({ tx, ctx, touch, records: this }));
  }

  async create(ctx: Ctx, collection: CollectionName, input: unknown, scope?: WriteScope): Promise<{ record: AnyRecord; created: boolean }> {
    const info = this.registryEntry(collection);
    const hooks = this.hooksOf(collection);
    this.permit(ctx, collection, 'create', `create ${info.label}s`);
    return ruled(async () => {
      const data = parseCreate(collection, input);
      const run = async (s: WriteScope) => {
        if (data.id) {
          const existing = await findStored(s.tx, collection, data.id as string);
          if (existing) {
            const same = existing.record.workspaceId === ctx.workspaceId && !existing.deleted && Object.entries(data).every(([k, v]) => k === 'stages' || sameValue(existing.record[k], v));
            if (same) return { record: existing.record, created: false };
            throw conflict(`a ${info.label} with id ${data.id} already exists with different content`, { id: data.id });
          }
        }
        const rules = this.ruleContext(s.tx, ctx);
        const record = (await prepareCreate(rules, collection, data)) as AnyRecord;
        await validateRecord(rules, collection, record, null);
        await hooks.beforeCreate?.(s, record);
        const stored = await this.put(s, collection, record, true);
        await writeAudit(s.tx, ctx, { entityType: info.entityType, entityId: stored.id, action: 'create', after: stored });
        await hooks.afterWrite?.(s, null, stored);
        await hooks.afterCreate?.(s, stored, data);
        return { record: stored, created: true };
      };
      return scope ? run(scope) : this.transaction(ctx, run);
    });
  }

  async update(ctx: Ctx, collection: CollectionName, id: string, input: unknown, options: WriteOptions = {}, scope?: WriteScope): Promise<AnyRecord> {
    const info = this.registryEntry(collection);
    const hooks = this.hooksOf(collection);
    this.permit(ctx, collection, 'update', `change ${info.label}s`);
    return ruled(async () => {
      const patch = parseUpdate(collection, input, nowIso());
      const run = async (s: WriteScope) => {
        const before = await this.get(ctx, collection, id, s.tx);
        this.permitRecord(ctx, collection, 'update', before);
        const rules = this.ruleContext(s.tx, ctx);
        const next = (await prepareUpdate(rules, collection, before, patch)) as AnyRecord;
        const fields = changedFields(before, next);
        if (fields.length > 0) await validateRecord(rules, collection, next, before);
        // after validation: an invalid input is refused as such (422), whatever version it names
        const ifVersion = typeof options.ifVersion === 'function' ? options.ifVersion() : options.ifVersion;
        if (ifVersion !== undefined && before.version !== ifVersion) {
          throw new DomainError('precondition_failed', `${info.label} ${id} has changed (version ${before.version}, If-Match named ${ifVersion}); read it again and retry`, [], {
            currentVersion: before.version,
          });
        }
        if (fields.length === 0) {
          if (options.audit)
            await writeAudit(s.tx, ctx, { entityType: info.entityType, entityId: id, action: options.audit.action, before, after: before, changedFields: [], detail: options.audit.detail });
          return before;
        }
        await hooks.beforeUpdate?.(s, before, next);
        const stored = await this.put(s, collection, next, false);
        await writeAudit(s.tx, ctx, {
          entityType: info.entityType,
          entityId: id,
          action: options.audit?.action ?? 'update',
          before,
          after: stored,
          changedFields: fields,
          detail: options.audit?.detail,
        });
        await hooks.afterWrite?.(s, before, stored);
        return stored;
      };
      return scope ? run(scope) : this.transaction(ctx, run);
    });
  }

  async setArchived(ctx: Ctx, collection: CollectionName, id: string, archived: boolean, scope?: WriteScope): Promise<AnyRecord> {
    const info = this.registryEntry(collection);
    this.permit(ctx, collection, archived ? 'archive' : 'restore', `${archived ? 'archive' : 'restore'} ${info.label}s`);
    const run = async (s: WriteScope) => {
      const before = await this.get(ctx, collection, id, s.tx);
      this.permitRecord(ctx, collection, archived ? 'archive' : 'restore', before);
      if ((before.archivedAt !== null) === archived) return before;
      if (archived) await checkArchive(this.ruleContext(s.tx, ctx), collection, before);
      const stored = await this.put(s, collection, { ...before, archivedAt: archived ? nowIso() : null }, false);
      await writeAudit(s.tx, ctx, {
        entityType: info.entityType,
        entityId: id,
        action: archived ? 'archive' : 'restore',
        before,
        after: stored,
        changedFields: ['archivedAt'],
      });
      return stored;
    };
    return ruled(() => (scope ? run(scope) : this.transaction(ctx, run)));
  }

  /**
   * Brings a deleted record (a merge's source, a bulk delete) back as `snapshot` says it was, with
   * a fresh version, validated like any write (its references must exist); audited as `restore`.
   * Who may delete records of the collection may do it; `role` overrides that (a merge's undo).
   */
  async undelete(ctx: Ctx, collection: CollectionName, snapshot: Row, scope: WriteScope, role?: Role): Promise<AnyRecord> {
    const info = this.registryEntry(collection);
    this.permit(ctx, collection, 'delete', `bring back deleted ${info.label}s`, role);
    return ruled(async () => {
      const id = String(snapshot.id);
      const stored = await findStored(scope.tx, collection, id);
      if (!stored || stored.record.workspaceId !== ctx.workspaceId) throw notFound(info.label, id);
      if (!stored.deleted) throw conflict(`${info.label} ${id} is not deleted`, { id });
      const record = { ...stored.record, ...snapshot, id, workspaceId: ctx.workspaceId } as AnyRecord;
      // as an update of the tombstone: what it still names need not be live (like any stored record's references)
      await validateRecord(this.ruleContext(scope.tx, ctx), collection, record, stored.record);
      const back = await this.put(scope, collection, record, false, false);
      await writeAudit(scope.tx, ctx, { entityType: info.entityType, entityId: id, action: 'restore', before: null, after: back, changedFields: [], detail: { undeleted: true } });
      return back;
    });
  }

  /**
   * Deletes (owners, or whom the collection's permissions name: members unlink deal contacts):
   * leaves a tombstone so replicating clients learn of it. `role` overrides the permission table
   * (callers should not need it).
   */
  async remove(ctx: Ctx, collection: CollectionName, id: string, scope?: WriteScope, role?: Role): Promise<AnyRecord> {
    const info = this.registryEntry(collection);
    const hooks = this.hooksOf(collection);
    this.permit(ctx, collection, 'delete', `delete ${info.label}s`, role);
    const run = async (s: WriteScope) => {
      const before = await this.get(ctx, collection, id, s.tx);
      this.permitRecord(ctx, collection, 'delete', before);
      await checkRemove(this.ruleContext(s.tx, ctx), collection, before);
      await hooks.beforeDelete?.(s, before);
      const stored = await this.put(s, collection, before, false, true);
      await writeAudit(s.tx, ctx, { entityType: info.entityType, entityId: id, action: 'delete', before, after: null });
      return stored;
    };
    return ruled(() => (scope ? run(scope) : this.transaction(ctx, run)));
  }
}
