/**
 * The collection registry: every replicated CRM collection, each declared once in
 * shared/entities/<collection>.ts (record, create and update schemas, references, indexes, list
 * filters and sorts, permissions, sync mode, rules), and described here in the form the rest of
 * the code reads: the store's column kinds, the domain's lists, sync, the client's RxDB schemas
 * and local validation, the permission table (shared/permissions.ts).
 *
 * Code that is handed a collection name looks it up with `collectionInfo(name)`; custom object
 * types (a later feature) are to be served from there too, without another registration site.
 * Custom fields are data, not registrations: their definitions are the `fields` collection, read by
 * the shared validator (customFields.ts) through the rules' read port.
 */
import type { z } from 'zod';
import { activities } from './entities/activities.js';
import { dealContacts } from './entities/dealContacts.js';
import { deals } from './entities/deals.js';
import { fields } from './entities/fields.js';
import { objectTypes } from './entities/objectTypes.js';
import type { EntityDefinition, EntityRules, Ownership, Permissions, Row } from './entities/entity.js';
import { organizations } from './entities/organizations.js';
import { people } from './entities/people.js';
import { pipelines } from './entities/pipelines.js';
import { records } from './entities/records.js';
import { stageChanges } from './entities/stageChanges.js';
import { stages } from './entities/stages.js';
import { views } from './entities/views.js';

export const COLLECTION_NAMES = ['organizations', 'people', 'deals', 'dealContacts', 'activities', 'pipelines', 'stages', 'stageChanges', 'fields', 'objectTypes', 'records', 'views'] as const;
export type CollectionName = (typeof COLLECTION_NAMES)[number];

export function isCollectionName(value: string): value is CollectionName {
  return (COLLECTION_NAMES as readonly string[]).includes(value);
}

/** The entity declarations by collection, with their precise types (see RecordOf and friends). */
export const ENTITIES = { organizations, people, deals, dealContacts, activities, pipelines, stages, stageChanges, fields, objectTypes, records, views } satisfies {
  [C in CollectionName]: EntityDefinition<C, any, any, any>;
};

type Entities = typeof ENTITIES;
type OutputOf<S> = S extends z.ZodType ? z.output<S> : never;
/** A stored record of collection C. */
export type RecordOf<C extends CollectionName> = z.output<Entities[C]['record']>;
/** A validated create input of collection C (never for collections clients cannot create). */
export type CreateOf<C extends CollectionName> = OutputOf<Entities[C]['create']>;
/** A validated update patch of collection C. */
export type UpdateOf<C extends CollectionName> = OutputOf<Entities[C]['update']>;

/** A collection as the rest of the code reads it: its declaration plus what is derived from it. */
export interface CollectionInfo {
  name: CollectionName;
  /** Singular entity type used by the audit log and MCP tools. */
  entityType: string;
  /** Human name, e.g. "deal contact". */
  label: string;
  record: z.ZodObject;
  /** What a create takes (null: clients cannot create these records). */
  create: z.ZodObject | null;
  /** What an update takes (null: clients cannot change these records). */
  update: z.ZodObject | null;
  /** Reference fields and the collection each points into. */
  references: Readonly<Record<string, CollectionName>>;
  /** Create fields a record keeps for life. */
  fixedFields: readonly string[];
  /** Columns stored as JSON text (arrays and objects of the record schema). */
  jsonFields: readonly string[];
  /** Columns stored as 0/1 (booleans of the record schema). */
  boolFields: readonly string[];
  /** Columns stored as integer money units (see shared/money.ts). */
  moneyFields: readonly string[];
  /** Computed fields: read-only, kept current by the server, filterable and sortable. */
  computedFields: readonly string[];
  /** Record fields that may be null. */
  nullableFields: readonly string[];
  /** Fields matched by `q`. */
  searchFields: readonly string[];
  /** Fields a list may sort by (besides createdAt, updatedAt). */
  sortFields: readonly string[];
  /** Query parameters that filter by equality on a column of the same name. */
  filterFields: readonly string[];
  /** Local (RxDB) indexes. */
  indexes: readonly (string | readonly string[])[];
  permissions: Permissions;
  /** Records kept to their owner unless shared, changed by their owner or a workspace owner (saved views); null: everyone's. */
  ownership: Ownership | null;
  /** Clients may push changes (stage changes are written by the server only). */
  pushable: boolean;
  rules: EntityRules<Row, Row, Row>;
}

/** The zod type under nullable/optional/default wrappers. */
function baseType(schema: z.ZodType): string {
  let def = schema._zod.def as { type: string; innerType?: z.ZodType };
  while ((def.type === 'nullable' || def.type === 'optional' || def.type === 'default') && def.innerType) def = def.innerType._zod.def as typeof def;
  return def.type;
}

function describe(entity: EntityDefinition): CollectionInfo {
  const shape = entity.record.shape as Record<string, z.ZodType>;
  const fields = Object.keys(shape);
  return {
    name: entity.name,
    entityType: entity.entityType,
    label: entity.label,
    record: entity.record,
    create: entity.create,
    update: entity.update,
    references: entity.references,
    fixedFields: entity.fixedFields,
    jsonFields: fields.filter((f) => ['array', 'object', 'record'].includes(baseType(shape[f]))),
    boolFields: fields.filter((f) => baseType(shape[f]) === 'boolean'),
    moneyFields: entity.moneyFields,
    computedFields: entity.computed ?? [],
    nullableFields: fields.filter((f) => shape[f].safeParse(null).success),
    searchFields: entity.list.search,
    sortFields: entity.list.sort,
    filterFields: entity.list.filter,
    indexes: entity.indexes,
    permissions: entity.permissions,
    ownership: entity.ownership ?? null,
    pushable: entity.sync === 'pushable',
    rules: entity.rules as EntityRules<Row, Row, Row>,
  };
}

export const COLLECTIONS: Record<CollectionName, CollectionInfo> = Object.fromEntries(COLLECTION_NAMES.map((c) => [c, describe(ENTITIES[c] as EntityDefinition)])) as Record<
  CollectionName,
  CollectionInfo
>;

/** The registry entry of a collection name (undefined when there is no such collection). */
export function collectionInfo(name: string): CollectionInfo | undefined {
  return isCollectionName(name) ? COLLECTIONS[name] : undefined;
}

/** Fields the server owns: never taken from a client. */
export const SERVER_FIELDS = ['workspaceId', 'createdAt', 'updatedAt', 'version'] as const;

/** A record of the collection with every field at its empty value: null, [] for labels, {} for custom. */
export function blankRecord(collection: CollectionName): Row {
  const out: Row = {};
  for (const key of Object.keys(COLLECTIONS[collection].record.shape)) out[key] = key === 'labels' ? [] : key === 'custom' ? {} : null;
  return out;
}

/**
 * Reference fields of the collections clients write, and the collection each points into, e.g.
 * ['organizationId', 'organizations'] (each field once: a field name means the same everywhere).
 */
export const REFERENCE_FIELDS: [string, CollectionName][] = (() => {
  const out = new Map<string, CollectionName>();
  for (const c of COLLECTION_NAMES) {
    if (!COLLECTIONS[c].pushable) continue;
    for (const [field, target] of Object.entries(COLLECTIONS[c].references)) if (!out.has(field)) out.set(field, target);
  }
  return [...out];
})();
