/**
 * Custom object types and their records (SPEC §2–4): crm.object.create|update (owners) and
 * crm.record.list|get|create|update|archive with the type's key as `type`. The same domain calls
 * as REST's /crm/objects routes (server/rest/objects.ts): the type is looked up by key first, so
 * a record of another type is "not found" rather than changed.
 */
import { z } from 'zod';
import { CustomRecordCreate, CustomRecordUpdate, FIELD_KEY, ObjectTypeCreate, ObjectTypeUpdate } from '../../../shared/schemas.js';
import { requireWrite } from '../../domain/context.js';
import type { AnyRecord } from '../../domain/reads.js';
import { page, present, RecordOut } from '../shapes.js';
import { FILTER_HINT, ID_HINT, ifVersion, listInput, listQuery, recordId } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

/** The object type a record tool works on, by key. */
const TypeKey = z.string({ error: 'is required: the object type key, e.g. project' }).regex(FIELD_KEY, { error: 'must be an object type key such as project' });

const presentAll = (records: AnyRecord[]) => records.map((r) => present(r));

export function objectTools(): ToolDef[] {
  return [
    {
      name: 'crm.object.create',
      title: 'Define a custom object type',
      description: 'Define a custom object type (owners): key (e.g. project), singular, plural. Add its fields with crm.field.create (entity: the key), its records with crm.record.*.',
      input: ObjectTypeCreate,
      output: RecordOut,
      writeRole: 'OWNER',
      destructive: false,
      idempotent: false,
      run: async (services, ctx, args) => present((await services.records.create(ctx, 'objectTypes', args)).record),
    },
    {
      name: 'crm.object.update',
      title: 'Rename a custom object type',
      description: 'Rename a custom object type (owners), named by its key as type: singular, plural, icon; the key never changes. crm.schema.describe lists types.',
      input: z.strictObject({ type: TypeKey, ...ObjectTypeUpdate.shape, ifVersion }),
      output: RecordOut,
      writeRole: 'OWNER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        const { type, ifVersion: version, ...patch } = args;
        const found = await services.objects.type(ctx, type);
        return present(await services.records.update(ctx, 'objectTypes', found.id as string, patch, { ifVersion: version }));
      },
    },
    {
      name: 'crm.record.list',
      title: 'List records of a custom object type',
      description: `Find records of a custom object type (type: its key) by text, label or custom fields, newest first, by cursor. ${ID_HINT} ${FILTER_HINT}`,
      input: listInput('records', { type: TypeKey, ownerId: z.string().optional() }),
      output: page(RecordOut),
      ...READ,
      async run(services, ctx, args) {
        await services.objects.type(ctx, args.type as string);
        const result = await services.records.list(ctx, 'records', { ...listQuery(args, ['ownerId'], 'records'), type: args.type });
        return { data: presentAll(result.data), nextCursor: result.nextCursor, ...(result.total === undefined ? {} : { total: result.total }) };
      },
    },
    {
      name: 'crm.record.get',
      title: 'Get a record of a custom object type',
      description: `One record of a custom object type by its type key and id, with all fields including custom.<key> values. ${ID_HINT}`,
      input: z.strictObject({ type: TypeKey, id: recordId('record') }),
      output: RecordOut,
      ...READ,
      run: async (services, ctx, args) => present(await services.objects.record(ctx, args.type, args.id)),
    },
    {
      name: 'crm.record.create',
      title: 'Create a record of a custom object type',
      description: 'Create a record of a custom object type (type: its key; name required; custom: {key: value}); your own UUIDv7 id makes a retry safe.',
      input: CustomRecordCreate,
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'create records');
        await services.objects.type(ctx, args.type);
        return present((await services.records.create(ctx, 'records', args)).record);
      },
    },
    {
      name: 'crm.record.update',
      title: 'Update a record of a custom object type',
      description: `Change a custom object record by type and id, sending only what changes (custom merges by key, null clears a value). ${ID_HINT}`,
      input: z.strictObject({ type: TypeKey, id: recordId('record'), ...CustomRecordUpdate.shape, ifVersion }),
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'change records');
        const { type, id, ifVersion: version, ...patch } = args;
        const found = await services.objects.record(ctx, type, id);
        return present(await services.records.update(ctx, 'records', found.id as string, patch, { ifVersion: version }));
      },
    },
    {
      name: 'crm.record.archive',
      title: 'Archive or restore a record of a custom object type',
      description: `Archive a custom object record by type and id (hidden from lists, nothing deleted), or restore: true to bring it back. ${ID_HINT}`,
      input: z.strictObject({ type: TypeKey, id: recordId('record'), restore: z.boolean().optional() }),
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', `${args.restore ? 'restore' : 'archive'} records`);
        const found = await services.objects.record(ctx, args.type, args.id);
        return present(await services.records.setArchived(ctx, 'records', found.id as string, args.restore !== true));
      },
    },
  ];
}
