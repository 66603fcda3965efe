/**
 * Custom field definitions (SPEC §2 "Custom fields"): per workspace and entity, a unique immutable
 * key, a type, options for selects, a target for references. Owners write them; archiving hides a
 * field and keeps its values. Changing the type or options of a field whose values would not convert
 * is refused by the server (it reads the values: server/domain/entities/fields.ts).
 */
import { CUSTOMIZABLE, ENTITY_ALIASES, REFERENCE_TARGETS } from '../customFields.js';
import { FieldCreate, FieldRecord, FieldUpdate } from '../schemas.js';
import { conflict, invalid, OWNER_WRITES, type EntityDefinition } from './entity.js';

const ENTITY_CHOICES = `one of ${CUSTOMIZABLE.join(', ')}`;

/** The collection name of an entity as given ("deal" or "deals" → "deals"). */
export function entityName(entity: string): string {
  return ENTITY_ALIASES[entity] ?? entity;
}

export const fields: EntityDefinition<'fields', typeof FieldRecord, typeof FieldCreate, typeof FieldUpdate> = {
  name: 'fields',
  entityType: 'field',
  label: 'custom field',
  record: FieldRecord,
  create: FieldCreate,
  update: FieldUpdate,
  fixedFields: ['entity', 'key'],
  references: {},
  moneyFields: [],
  indexes: [['entity', 'position']],
  list: { search: ['key', 'label'], sort: ['position', 'key', 'label'], filter: ['entity', 'type'] },
  permissions: OWNER_WRITES,
  sync: 'pushable',
  rules: {
    async create(scope, input) {
      const entity = entityName(input.entity);
      const existing = await scope.reader.customFields(entity);
      return {
        ...input,
        entity,
        options: (input.options ?? []).map((o) => ({ value: o.value, label: o.label ?? o.value, color: o.color ?? null })),
        referenceTo: input.referenceTo ? entityName(input.referenceTo) : null,
        required: input.required ?? false,
        position: input.position ?? existing.length,
      };
    },
    update(_scope, _before, next, patch) {
      if (patch.options) next.options = patch.options.map((o) => ({ value: o.value, label: o.label ?? o.value, color: o.color ?? null }));
      if (patch.referenceTo) next.referenceTo = entityName(patch.referenceTo);
      // a type change away from selects or references drops what only they have, unless the patch says otherwise
      if (patch.type && patch.type !== 'select' && patch.type !== 'multi_select' && patch.options === undefined) next.options = [];
      if (patch.type && patch.type !== 'reference' && patch.referenceTo === undefined) next.referenceTo = null;
    },
    async validate(scope, record, before) {
      const types = (await scope.reader.objectTypes()).map((t) => t.key);
      const choices = types.length ? `${ENTITY_CHOICES}, or an object type: ${types.join(', ')}` : ENTITY_CHOICES;
      if (!(CUSTOMIZABLE as readonly string[]).includes(record.entity) && !types.includes(record.entity)) throw invalid('entity', `must be ${choices}`);
      const select = record.type === 'select' || record.type === 'multi_select';
      if (select && record.options.length === 0) throw invalid('options', `a ${record.type} field needs at least one option {value, label}`);
      if (!select && record.options.length > 0) throw invalid('options', 'only select and multi_select fields have options');
      const seen = new Set<string>();
      record.options.forEach((o, i) => {
        if (seen.has(o.value)) throw invalid(`options.${i}.value`, `repeats the option value '${o.value}'`);
        seen.add(o.value);
      });
      if (record.type === 'reference' && !(REFERENCE_TARGETS as readonly string[]).includes(record.referenceTo ?? '') && !types.includes(record.referenceTo ?? '')) {
        throw invalid('referenceTo', `a reference field must say what it points to: one of ${[...REFERENCE_TARGETS, ...types].join(', ')}`);
      }
      if (record.type !== 'reference' && record.referenceTo !== null) throw invalid('referenceTo', 'only reference fields point to an entity');
      if (before) return;
      const same = (await scope.reader.customFields(record.entity)).find((f) => f.key === record.key && f.id !== record.id);
      if (same) throw conflict('key', `${record.entity} already have a field '${record.key}'${same.archivedAt ? ' (archived: restore it instead)' : ''}`);
    },
  },
};
