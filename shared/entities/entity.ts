/**
 * What an entity is made of: its declaration (schemas, references, storage, list options,
 * permissions, sync mode) and its rules. The rules are written once, here in shared/, against a
 * small read port (`RecordReader`) that the server implements over SQL (server/store/reader.ts)
 * and the client over RxDB (renderer/data/reader.ts), so a record made offline gets the same
 * defaults, derived fields and refusals as one the server makes.
 *
 * Rules throw `RuleError`s: field errors `{path, message}` of kind `invalid` (the server answers
 * 422) or `conflict` (409). Each runtime maps them to its own error type.
 */
import type { z } from 'zod';
import type { CollectionName, RecordOf } from '../collections.js';
import type { FieldDefinition } from '../customFields.js';
import type { Role } from '../schemas.js';
import type { FieldError } from '../validation.js';

export type Row = Record<string, unknown>;

export type RecordAction = 'create' | 'update' | 'archive' | 'restore' | 'delete';
/** The least role that may perform each action (null: nobody, the server writes it). */
export type Permissions = Readonly<Record<RecordAction, Role | null>>;

/** Records and activities: members write, archive and restore; owners delete. */
export const MEMBER_WRITES: Permissions = { create: 'MEMBER', update: 'MEMBER', archive: 'MEMBER', restore: 'MEMBER', delete: 'OWNER' };
/** Workspace configuration (pipelines, stages): owners only. */
export const OWNER_WRITES: Permissions = { create: 'OWNER', update: 'OWNER', archive: 'OWNER', restore: 'OWNER', delete: 'OWNER' };
/** Written by the server only (stage changes). */
export const SERVER_WRITES: Permissions = { create: null, update: null, archive: null, restore: null, delete: null };

/** The fields that say whose a record is and whether others see it (see EntityDefinition.ownership). */
export interface Ownership {
  owner: string;
  shared: string;
}

// ---------------------------------------------------------------- the read port

/**
 * What the rules need to read. Every method sees the live (not deleted) records of one workspace,
 * archived ones included, as the runtime has them: the server its database (inside the write's
 * transaction), the client its local RxDB database.
 */
export interface RecordReader {
  /** A live record by id, or null. */
  find<C extends CollectionName>(collection: C, id: string): Promise<RecordOf<C> | null>;
  /** The stages of a pipeline in order (position, then id). */
  stagesOf(pipelineId: string): Promise<RecordOf<'stages'>[]>;
  /** The default pipeline (or, when none is marked, the first by position); null without pipelines. */
  defaultPipeline(): Promise<RecordOf<'pipelines'> | null>;
  /** Every pipeline, by position then id. */
  pipelines(): Promise<RecordOf<'pipelines'>[]>;
  /** The link of a person to a deal, or null. */
  dealContact(dealId: string, personId: string): Promise<RecordOf<'dealContacts'> | null>;
  /** Deals in a pipeline or a stage. */
  countDeals(field: 'pipelineId' | 'stageId', id: string): Promise<number>;
  /** The custom field definitions of an entity (a collection name), archived ones included, by position then id. */
  customFields(entity: string): Promise<FieldDefinition[]>;
  /** Every custom object type, archived ones included, by key. */
  objectTypes(): Promise<RecordOf<'objectTypes'>[]>;
  /**
   * Whether a user is a member of the workspace (any role). Optional: a runtime that does not know
   * the members (the offline client) leaves it out, and the server checks when the record arrives.
   */
  isMember?(userId: string): Promise<boolean>;
}

/** What a runtime hands the rules for one write. */
export interface RuleContext {
  reader: RecordReader;
  workspaceId: string;
  /** The workspace currency: the default of a new deal. */
  defaultCurrency: string;
  /** The acting user (recorded on activities), when known. */
  actorId: string | null;
  /** The time of the write, ISO 8601. */
  now(): string;
}

/** The context as the rules see it: plus the registry's names of collections, for messages. */
export interface RuleScope extends RuleContext {
  labelOf(collection: CollectionName): string;
}

// ---------------------------------------------------------------- errors

export type RuleErrorKind = 'invalid' | 'conflict';

/** A refusal by a rule: which fields, what was expected; `conflict` when the data as it stands forbids it. */
export class RuleError extends Error {
  constructor(
    readonly kind: RuleErrorKind,
    readonly errors: FieldError[],
    readonly extra: Row = {},
  ) {
    super(kind === 'conflict' ? errors.map((e) => e.message).join('; ') : errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '));
    this.name = 'RuleError';
  }
}

export const invalid = (path: string, message: string) => new RuleError('invalid', [{ path, message }]);
export const conflict = (path: string, message: string, extra: Row = {}) => new RuleError('conflict', [{ path, message }], extra);

/**
 * The live record a reference field points to; throws naming the field when there is none. With
 * `before`, a reference the write leaves unchanged is not re-checked (null when it is gone), so a
 * record whose organization (say) was deleted can still be edited.
 */
export async function requireRef<C extends CollectionName>(scope: RuleScope, collection: C, id: unknown, field: string, before?: Row | null): Promise<RecordOf<C> | null> {
  if (id == null) return null;
  const found = await scope.reader.find(collection, String(id));
  if (!found && before && before[field] === id) return null;
  if (!found) throw invalid(field, `${scope.labelOf(collection)} ${String(id)} does not exist in this workspace`);
  return found;
}

// ---------------------------------------------------------------- declarations

/**
 * The rules of one entity. Each step is optional; the runner (shared/rules.ts) calls them in this
 * order: create → (store) | normalizePatch → update → (store), validate before every store.
 */
export interface EntityRules<R extends Row = Row, C extends Row = Row, U extends Row = Row> {
  /** Defaults and derived fields of a new record, from its validated create input. */
  create?(scope: RuleScope, input: C): Promise<Row> | Row;
  /** Turns an update's convenience fields into record fields (e.g. completed → completedAt). */
  normalizePatch?(patch: U, now: string): Row;
  /** Derives fields of an update in place: `next` is the record before with the patch applied. */
  update?(scope: RuleScope, before: R, next: R, patch: Partial<R>): Promise<void> | void;
  /** References and cross-field rules of the record about to be stored (`before`: null for a create). */
  validate?(scope: RuleScope, record: R, before: R | null): Promise<void>;
  /** Refuses archiving a record. */
  archive?(scope: RuleScope, record: R): Promise<void> | void;
  /** Refuses deleting a record. */
  remove?(scope: RuleScope, record: R): Promise<void>;
}

type Output<S> = S extends z.ZodType ? z.output<S> & Row : never;

/**
 * One entity, declared once. The registry (shared/collections.ts) derives the rest from it: the
 * store's column kinds, list filters and sorts, the client's RxDB schema, what a sync push may
 * set, the permission table.
 */
export interface EntityDefinition<
  N extends CollectionName = CollectionName,
  RS extends z.ZodObject = z.ZodObject,
  CS extends z.ZodObject | null = z.ZodObject | null,
  US extends z.ZodObject | null = z.ZodObject | null,
> {
  name: N;
  /** Singular type name used by the audit log and MCP tools. */
  entityType: string;
  /** Human name, e.g. "deal contact". */
  label: string;
  /** The stored record. */
  record: RS;
  /** What a create takes (the services validate with it), null when clients cannot create. */
  create: CS;
  /** What an update takes, null when clients cannot change records. */
  update: US;
  /** Create fields a record keeps for life (a deal contact's deal and person): not merged by sync. */
  fixedFields: readonly string[];
  /** Reference fields and the collection each points into. */
  references: Readonly<Record<string, CollectionName>>;
  /** Fields stored as integer money units (shared/money.ts). */
  moneyFields: readonly string[];
  /** Computed record fields (read-only, kept current by the server: server/domain/records/computed.ts). */
  computed?: readonly string[];
  /** Local (RxDB) indexes the UI queries; the primary key is indexed anyway. */
  indexes: readonly (string | readonly string[])[];
  /** List options: `search` fields matched by q, `sort` fields (besides createdAt, updatedAt), equality `filter` fields. */
  list: { search: readonly string[]; sort: readonly string[]; filter: readonly string[] };
  permissions: Permissions;
  /**
   * Records that belong to a user (saved views): a record whose `shared` field is false is seen by
   * the user its `owner` field names only, and only that user or a workspace owner changes or
   * deletes any record of the collection (shared/permissions.ts `visibleTo`, `mayChangeRecord`).
   */
  ownership?: Ownership;
  /** `pushable`: clients replicate changes both ways; `pull-only`: the server writes, clients read. */
  sync: 'pushable' | 'pull-only';
  rules: EntityRules<Output<RS>, Output<CS>, Output<US>>;
}
