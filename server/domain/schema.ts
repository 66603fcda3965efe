/**
 * The workspace's data model as agents and import mapping read it (SPEC §3 `GET /crm/schema`, §4
 * `crm.schema.describe`): every entity with its standard fields (from the registry's record
 * schemas), its custom fields (the workspace's definitions), types, options, references, and the
 * list filters and sorts it takes.
 */
import { z } from 'zod';
import { COLLECTION_NAMES, COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { CUSTOMIZABLE, FIELD_TYPES, type FieldDefinition } from '../../shared/customFields.js';
import { DERIVED_FILTERS, sortValues } from '../../shared/listQuery.js';
import { SqlRecordReader } from '../store/reader.js';
import type { Store } from '../store/store.js';
import type { Ctx } from './context.js';

export const SchemaField = z.object({
  key: z.string().describe('Field name; custom fields are under custom.<key>'),
  label: z.string().optional(),
  kind: z.enum(['standard', 'custom']),
  type: z.string().describe(`standard: text, long_text, number, money, date, datetime, boolean, select, reference, labels, id, json; custom: ${FIELD_TYPES.join(', ')}`),
  required: z.boolean().describe('Must be given on create'),
  readOnly: z.boolean().describe('Set by the server, never by a write'),
  computed: z.boolean().optional().describe('Kept current by the server from other records (lastActivityAt, …); filter and sort by it like any field'),
  options: z.array(z.object({ value: z.string(), label: z.string(), color: z.string().nullable() })).optional(),
  referenceTo: z.string().optional(),
  archived: z.boolean().optional().describe('Custom fields only: archived fields keep their values, hidden from forms'),
  id: z.string().optional().describe('Custom fields only: the definition id (PATCH /crm/fields/:id)'),
});
export const SchemaEntity = z.object({
  name: z.string().describe('Collection name, as in /crm/<name>'),
  entityType: z.string(),
  label: z.string(),
  customizable: z.boolean().describe('Owners may add custom fields (POST /crm/fields {entity: name})'),
  fields: z.array(SchemaField),
  filters: z.array(z.string()).describe('Equality filters of the list'),
  sorts: z.array(z.string()),
});
export const SchemaDescription = z.object({ entities: z.array(SchemaEntity) });
export type SchemaDescription = z.infer<typeof SchemaDescription>;

const SERVER_SET = ['id', 'workspaceId', 'createdAt', 'updatedAt', 'version', 'archivedAt'];

function inner(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodNullable || s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s;
}

/** The type of a standard field as the schema describes it, from its zod type and name. */
function standardType(collection: CollectionName, key: string, schema: z.ZodType): Pick<z.infer<typeof SchemaField>, 'type' | 'options' | 'referenceTo'> {
  const info = COLLECTIONS[collection];
  const s = inner(schema);
  if (key === 'id') return { type: 'id' };
  if (info.references[key]) return { type: 'reference', referenceTo: info.references[key] };
  if (info.moneyFields.includes(key)) return { type: 'money' };
  if (s instanceof z.ZodEnum) return { type: 'select', options: (s.options as string[]).map((v) => ({ value: v, label: v, color: null })) };
  if (s instanceof z.ZodBoolean) return { type: 'boolean' };
  if (s instanceof z.ZodNumber) return { type: 'number' };
  if (s instanceof z.ZodArray) return { type: key === 'labels' ? 'labels' : 'json' };
  if (s instanceof z.ZodObject || s instanceof z.ZodRecord) return { type: 'json' };
  if (/At$/.test(key)) return { type: 'datetime' };
  if (/Date$/.test(key)) return { type: 'date' };
  if (key === 'email') return { type: 'email' };
  if (key === 'website') return { type: 'url' };
  if (key === 'phone') return { type: 'phone' };
  if (key === 'notes' || key === 'body') return { type: 'long_text' };
  if (/Id$/.test(key)) return { type: 'id' };
  return { type: 'text' };
}

function describeEntity(collection: CollectionName, custom: FieldDefinition[]): z.infer<typeof SchemaEntity> {
  const info = COLLECTIONS[collection];
  const createShape = (info.create?.shape ?? {}) as Record<string, z.ZodType>;
  const updateShape = (info.update?.shape ?? {}) as Record<string, z.ZodType>;
  const fields: z.infer<typeof SchemaField>[] = [];
  for (const [key, schema] of Object.entries(info.record.shape as Record<string, z.ZodType>)) {
    if (key === 'workspaceId' || key === 'custom') continue;
    const writable = key in createShape || key in updateShape;
    fields.push({
      key,
      kind: 'standard',
      ...standardType(collection, key, schema),
      required: key in createShape && !createShape[key].safeParse(undefined).success,
      readOnly: SERVER_SET.includes(key) || !writable,
      ...(info.computedFields.includes(key) ? { computed: true } : {}),
    });
  }
  for (const def of custom) {
    fields.push({
      key: `custom.${def.key}`,
      label: def.label,
      kind: 'custom',
      type: def.type,
      required: def.required,
      readOnly: false,
      ...(def.options.length ? { options: def.options } : {}),
      ...(def.referenceTo ? { referenceTo: def.referenceTo } : {}),
      archived: def.archivedAt !== null,
      id: def.id,
    });
  }
  return {
    name: collection,
    entityType: info.entityType,
    label: info.label,
    customizable: (CUSTOMIZABLE as readonly string[]).includes(collection),
    fields,
    filters: [...info.filterFields, ...Object.keys(DERIVED_FILTERS[collection] ?? {}), ...(info.jsonFields.includes('labels') ? ['label'] : [])],
    sorts: sortValues(collection),
  };
}

/** Every entity of the workspace's data model with its standard and custom fields. */
export async function describeSchema(store: Store, ctx: Ctx): Promise<SchemaDescription> {
  const reader = new SqlRecordReader(store.db, ctx.workspaceId);
  const entities = [];
  for (const collection of COLLECTION_NAMES) {
    if (collection === 'fields') continue;
    const custom = (CUSTOMIZABLE as readonly string[]).includes(collection) ? await reader.customFields(collection) : [];
    if (collection === 'objectTypes' || collection === 'records' || collection === 'views') continue; // views: a UI setting, not data
    entities.push(describeEntity(collection, custom));
  }
  // each custom object type, as an entity of its own (its records: /crm/objects/<key>/records)
  for (const type of await reader.objectTypes()) {
    if (type.archivedAt) continue;
    const entity = describeEntity('records', await reader.customFields(type.key));
    entities.push({ ...entity, name: type.key, label: type.singular, customizable: true, fields: entity.fields.filter((f) => f.key !== 'type'), filters: entity.filters.filter((f) => f !== 'type') });
  }
  return { entities };
}
