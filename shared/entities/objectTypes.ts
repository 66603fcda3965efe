/**
 * Custom object types (SPEC §2): owners define them; their records are the `records` collection
 * (./records.ts), each with its `type`. A key is unique, immutable and not a standard entity's name.
 */
import { ObjectTypeCreate, ObjectTypeRecord, ObjectTypeUpdate } from '../schemas.js';
import { conflict, invalid, OWNER_WRITES, type EntityDefinition } from './entity.js';

/** Names an object type may not take: the standard entities, their singulars, and the schema's own. */
export const RESERVED_TYPE_KEYS = new Set([
  'organizations',
  'organization',
  'people',
  'person',
  'deals',
  'deal',
  'activities',
  'activity',
  'pipelines',
  'pipeline',
  'stages',
  'stage',
  'dealcontacts',
  'stagechanges',
  'fields',
  'field',
  'records',
  'record',
  'objects',
  'object',
  'objecttypes',
  'custom',
]);

export const objectTypes: EntityDefinition<'objectTypes', typeof ObjectTypeRecord, typeof ObjectTypeCreate, typeof ObjectTypeUpdate> = {
  name: 'objectTypes',
  entityType: 'objectType',
  label: 'object type',
  record: ObjectTypeRecord,
  create: ObjectTypeCreate,
  update: ObjectTypeUpdate,
  fixedFields: ['key'],
  references: {},
  moneyFields: [],
  indexes: [],
  list: { search: ['key', 'singular', 'plural'], sort: ['key', 'singular'], filter: [] },
  permissions: OWNER_WRITES,
  sync: 'pushable',
  rules: {
    create: (_scope, input) => ({ ...input, icon: input.icon ?? null, primaryField: 'name' }),
    async validate(scope, record, before) {
      if (before) return;
      if (RESERVED_TYPE_KEYS.has(record.key)) throw invalid('key', `'${record.key}' is the name of a standard entity; choose another key`);
      const same = (await scope.reader.objectTypes()).find((t) => t.key === record.key && t.id !== record.id);
      if (same) throw conflict('key', `an object type '${record.key}' exists already${same.archivedAt ? ' (archived: restore it instead)' : ''}`);
    },
  },
};
