/**
 * RxDB schemas of the replicated collections, derived from the collection registry
 * (shared/collections.ts): the zod record schemas (`z.toJSONSchema`) and the indexes each entity
 * declares, plus a migration strategy per version bump.
 *
 * Dexie needs every indexed field required and non-null, strings with a maxLength and numbers
 * with minimum/maximum/multipleOf, so only such fields are indexed; other filters (nullable
 * references such as organizationId) are matched by the query engine without an index.
 */
import { z } from 'zod';
import { addRxPlugin, type RxJsonSchema, type MigrationStrategies } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { blankRecord, COLLECTIONS, COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';

// collections above version 0 migrate stored documents: whoever creates them from these schemas needs the plugin
addRxPlugin(RxDBMigrationSchemaPlugin);

/** Bump a collection's version when its record schema changes, and add a step to MIGRATIONS. */
export const SCHEMA_VERSIONS: Record<CollectionName, number> = {
  organizations: 1,
  people: 1,
  deals: 1,
  dealContacts: 0,
  activities: 0,
  pipelines: 0,
  stages: 0,
  stageChanges: 0,
  fields: 0,
  objectTypes: 0,
  records: 0,
  views: 0,
};

type Doc = Record<string, unknown>;

/**
 * Explicit upgrade steps: MIGRATIONS[c][n - 1] turns a version n-1 document into version n.
 * Every step also gets the fields the current record schema has and the old document lacks
 * filled with their defaults (null, [] for labels, {} for custom), so adding a field needs no
 * code. A step may return null to drop a document, but avoid it: the next pull starts from the
 * saved checkpoint and does not bring the server's copy back; only the self-check
 * (renderer/data/selfCheck.ts) finds it missing and pulls it again, and an unsent edit in it is
 * lost.
 */
// v1 of organizations, people and deals: the computed fields (lastActivityAt, nextFollowUpAt,
// stageEnteredAt), null (fillDefaults) but a live deal's stageEnteredAt, its createdAt — the
// server's value for a deal never moved. The server gave every record whose values differ a new
// version (migration 0013_computed_versions), so the next pull brings those.
const computedFields = (doc: Doc) => doc;
const dealComputedFields = (doc: Doc) => (doc._deleted === true || doc.stageEnteredAt != null ? doc : { ...doc, stageEnteredAt: doc.createdAt ?? null });

export const MIGRATIONS: Record<CollectionName, ((doc: Doc) => Doc | null)[]> = {
  organizations: [computedFields],
  people: [computedFields],
  deals: [dealComputedFields],
  dealContacts: [],
  activities: [],
  pipelines: [],
  stages: [],
  stageChanges: [],
  fields: [],
  objectTypes: [],
  records: [],
  views: [],
};

/** Max lengths for indexed string fields. */
const INDEXED_STRINGS: Record<string, number> = {
  id: 36,
  name: 300,
  title: 300,
  pipelineId: 36,
  stageId: 36,
  dealId: 36,
  personId: 36,
  status: 16,
  type: 16,
  occurredAt: 40,
  changedAt: 40,
  updatedAt: 40,
  createdAt: 40,
};

/** Indexes per collection, as each entity declares them (the primary key is indexed anyway). */
export const INDEXES: Record<CollectionName, (string | string[])[]> = Object.fromEntries(
  COLLECTION_NAMES.map((c) => [c, COLLECTIONS[c].indexes.map((index) => (typeof index === 'string' ? index : [...index]))]),
) as Record<CollectionName, (string | string[])[]>;

const INDEXED_NUMBERS: Record<string, { minimum: number; maximum: number; multipleOf: number }> = {
  position: { minimum: 0, maximum: 1_000_000, multipleOf: 1 },
};

/** JSON Schema of one property, with `anyOf: [X, null]` folded into `type: [X, 'null']`. */
function simplify(prop: Record<string, unknown>): Record<string, unknown> {
  const out = { ...prop };
  delete out.$schema;
  const anyOf = out.anyOf as Record<string, unknown>[] | undefined;
  if (anyOf && anyOf.length === 2 && anyOf.some((p) => p.type === 'null')) {
    const other = anyOf.find((p) => p.type !== 'null')!;
    delete out.anyOf;
    Object.assign(out, simplify(other));
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
  }
  if (out.type === 'integer') out.type = 'number';
  return out;
}

export function rxSchemaFor(collection: CollectionName): RxJsonSchema<any> {
  const json = z.toJSONSchema(COLLECTIONS[collection].record, { io: 'output', unrepresentable: 'any' }) as { properties: Record<string, Record<string, unknown>>; required?: string[] };
  const properties: Record<string, Record<string, unknown>> = {};
  for (const [name, prop] of Object.entries(json.properties)) properties[name] = simplify(prop);
  const indexes = INDEXES[collection];
  const indexed = new Set(['id', ...indexes.flat()]);
  for (const field of indexed) {
    const prop = properties[field];
    if (!prop) throw new Error(`index field ${collection}.${field} is not a record field`);
    if (field in INDEXED_NUMBERS) Object.assign(prop, { type: 'number' }, INDEXED_NUMBERS[field]);
    else Object.assign(prop, { type: 'string', maxLength: INDEXED_STRINGS[field] ?? 100 });
  }
  return {
    title: collection,
    version: SCHEMA_VERSIONS[collection],
    primaryKey: 'id',
    type: 'object',
    properties: properties as RxJsonSchema<any>['properties'],
    required: Object.keys(properties),
    indexes,
  } as RxJsonSchema<any>;
}

/** Fills fields the record schema has and `doc` lacks with their defaults. */
export function fillDefaults(collection: CollectionName, doc: Doc): Doc {
  const out = { ...doc };
  for (const [key, empty] of Object.entries(blankRecord(collection))) if (out[key] === undefined) out[key] = key === 'version' ? 0 : empty;
  return out;
}

export function migrationStrategiesFor(collection: CollectionName): MigrationStrategies {
  const strategies: MigrationStrategies = {};
  const steps = MIGRATIONS[collection];
  for (let v = 1; v <= SCHEMA_VERSIONS[collection]; v++) {
    const step = steps[v - 1];
    strategies[v] = (doc: Doc) => {
      const next = step ? step(doc) : doc;
      return next === null ? null : fillDefaults(collection, next);
    };
  }
  return strategies;
}

export function collectionCreators(): Record<CollectionName, { schema: RxJsonSchema<any>; migrationStrategies: MigrationStrategies }> {
  return Object.fromEntries(COLLECTION_NAMES.map((c) => [c, { schema: rxSchemaFor(c), migrationStrategies: migrationStrategiesFor(c) }])) as Record<
    CollectionName,
    { schema: RxJsonSchema<any>; migrationStrategies: MigrationStrategies }
  >;
}
