/**
 * The data model for agents: crm.schema.describe (every entity with its standard and custom
 * fields) and the custom field definitions, crm.field.create|update|archive (owners).
 */
import { z } from 'zod';
import { FieldCreate, FieldUpdate } from '../../../shared/schemas.js';
import type { Services } from '../../domain/services.js';
import { present, RecordOut } from '../shapes.js';
import { ID_HINT, ifVersion, recordId } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

const SchemaOut = z.looseObject({ entities: z.array(z.looseObject({ name: z.string() })) });

export function schemaTools(): ToolDef[] {
  return [
    {
      name: 'crm.schema.describe',
      title: 'Describe the data model',
      description:
        'Every entity, custom object types included, with its standard and custom fields (custom.<key>): type, options, references, required; and its list filters and sorts. Call before a query, an import or writing custom values. Lists filter by a value (a list: any of) or {gt,gte,lt,lte,ne,contains,empty}, custom: {key: …}.',
      input: z.strictObject({ entity: z.string().optional().describe('Only this entity, e.g. deals') }),
      output: SchemaOut,
      ...READ,
      async run(services: Services, ctx, args) {
        const { entities } = await services.schema(ctx);
        return { entities: args.entity ? entities.filter((e) => e.name === args.entity || e.entityType === args.entity) : entities };
      },
    },
    {
      name: 'crm.field.create',
      title: 'Create a custom field',
      description:
        'Add a custom field (owners) to organizations, people, deals, activities or a custom object type (its key); values go in custom.<key>. select/multi_select need options [{value, label}]; reference needs referenceTo.',
      input: FieldCreate,
      output: RecordOut,
      writeRole: 'OWNER',
      destructive: false,
      idempotent: false,
      run: async (services, ctx, args) => present((await services.records.create(ctx, 'fields', args)).record),
    },
    {
      name: 'crm.field.update',
      title: 'Update a custom field',
      description: `Change a custom field's label, options, required, position or type (owners); a change existing values cannot convert to is refused, naming the records. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('field'), ...FieldUpdate.shape, ifVersion }),
      output: RecordOut,
      writeRole: 'OWNER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        const { id, ifVersion: version, ...patch } = args;
        return present(await services.records.update(ctx, 'fields', id, patch, { ifVersion: version }));
      },
    },
    {
      name: 'crm.field.archive',
      title: 'Archive or restore a custom field',
      description: `Archive a custom field (hidden, values kept), or restore: true to bring it back with its values. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('field'), restore: z.boolean().optional() }),
      output: RecordOut,
      writeRole: 'OWNER',
      destructive: true,
      idempotent: true,
      run: async (services, ctx, args) => present(await services.records.setArchived(ctx, 'fields', args.id, args.restore !== true)),
    },
  ];
}
