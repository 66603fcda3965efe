/**
 * crm.duplicates.list, crm.merge, crm.bulk, crm.person.upsert, crm.organization.upsert and
 * crm.activity.update (SPEC §4): the same domain calls as /crm/duplicates, /crm/<collection>/merge,
 * /crm/<collection>/bulk (and the undo routes), and the record service. Inputs stay compact: the
 * services check values in depth and name the one at fault.
 */
import { z } from 'zod';
import { COLLECTIONS } from '../../../shared/collections.js';
import { DERIVED_FILTERS } from '../../../shared/listQuery.js';
import { Id } from '../../../shared/schemas.js';
import { BULK_ACTIONS, type BulkCollection } from '../../domain/bulk.js';
import { requireWrite } from '../../domain/context.js';
import { invalid } from '../../domain/errors.js';
import { resolveNamedRefs } from '../names.js';
import { present, RecordOut } from '../shapes.js';
import { listQuery, nameRef } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

const Obj = z.record(z.string(), z.unknown());
const Result = z.looseObject({});
const BULK_ENTITY = { organization: 'organizations', person: 'people', deal: 'deals', activity: 'activities' } as const;
const opt = z.string().optional();
const labels = z.array(z.string()).optional();

/** A tool's record result with what the upsert did. */
const upserted = ({ record, outcome }: { record: Record<string, unknown>; outcome: string }) => ({ ...present(record), outcome });

export function mergeTools(): ToolDef[] {
  return [
    {
      name: 'crm.duplicates.list',
      title: 'Likely duplicates',
      description: 'Groups of likely duplicate people (same email or name) and organizations (same domain or name) to merge.',
      input: z.strictObject({}),
      output: Result,
      ...READ,
      run: (services, ctx) => services.merge.duplicates(ctx, {}),
    },
    {
      name: 'crm.merge',
      title: 'Merge records',
      description: 'Merge people or organizations sourceIds into targetId: references move; fields {field: id} picks values.',
      input: z.strictObject({ targetId: Id, sourceIds: z.array(Id), fields: Obj.optional() }),
      output: Result,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: false,
      async run(services, ctx, input) {
        // the target's collection says what is merged
        const collection = (await services.records.find(services.store.db, ctx, 'organizations', input.targetId)) ? 'organizations' : 'people';
        const result = await services.merge.merge(ctx, collection, input);
        return { ...result, record: present(result.record) };
      },
    },
    {
      name: 'crm.bulk',
      title: 'Bulk change',
      description: 'Act on records by ids or filter (as list tools): update (values: patch), addLabels (values.labels)…; dryRun first',
      input: z.strictObject({
        entity: z.enum(['organization', 'person', 'deal', 'activity']).optional(),
        ids: z.array(Id).optional(),
        filter: Obj.optional(),
        action: z.enum(BULK_ACTIONS).optional(),
        values: Obj.optional(),
        dryRun: z.boolean().optional(),
        undo: Id.optional(),
      }),
      output: Result,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: false,
      async run(services, ctx, args) {
        if (args.undo) return { ...(await services.undoOperation(ctx, args.undo)) };
        if (!args.entity) throw invalid('entity', 'required: organization, person, deal or activity');
        if (!args.action) throw invalid('action', `required: one of ${BULK_ACTIONS.join(', ')}`);
        const collection: BulkCollection = BULK_ENTITY[args.entity as keyof typeof BULK_ENTITY];
        const { entity: _e, undo: _u, filter, ...rest } = args;
        let query: Record<string, unknown> | undefined;
        if (filter) {
          query = listQuery(filter, [...COLLECTIONS[collection].filterFields, ...Object.keys(DERIVED_FILTERS[collection] ?? {})], collection);
          delete query.limit;
        }
        return { ...(await services.bulk.run(ctx, collection, { ...rest, ...(query ? { filter: query } : {}) })) };
      },
    },
    {
      name: 'crm.person.upsert',
      title: 'Upsert a person',
      description: 'Update the person with this email where it differs, or create them; their organization by exact name.',
      input: z.strictObject({ email: z.string(), name: opt, phone: opt, title: opt, organization: nameRef(), labels, custom: Obj.optional() }),
      output: Result,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'create people');
        const input = await resolveNamedRefs(services, ctx, args, [{ nameField: 'organization', idField: 'organizationId', collection: 'organizations' }]);
        return upserted(await services.merge.upsert(ctx, 'people', input));
      },
    },
    {
      name: 'crm.organization.upsert',
      title: 'Upsert an organization',
      description: 'Update the organization with this website domain, else with this name, where it differs; or create it.',
      input: z.strictObject({ name: z.string(), website: opt, labels, custom: Obj.optional() }),
      output: Result,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'create organizations');
        return upserted(await services.merge.upsert(ctx, 'organizations', args));
      },
    },
    {
      name: 'crm.activity.update',
      title: 'Update an activity',
      description: 'Change the subject, body or due time of an activity by id (a UUID); crm.activity.complete completes it.',
      input: z.strictObject({ id: Id, subject: opt, body: opt, dueAt: opt }),
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, { id, ...patch }) {
        requireWrite(ctx, 'MEMBER', 'change activities');
        return present(await services.records.update(ctx, 'activities', id, patch));
      },
    },
  ];
}
