/**
 * Activities: notes, calls, emails, meetings and follow-ups — list, log (on records given by id or
 * name), complete or reopen.
 */
import { z } from 'zod';
import { ACTIVITY_TYPES, ActivityCreate, Id, IsoDateTime } from '../../../shared/schemas.js';
import { requireWrite } from '../../domain/context.js';
import { resolveNamedRefs } from '../names.js';
import { compactActivities, page, present, RecordOut } from '../shapes.js';
import { FILTER_HINT, ID_HINT, listInput, listQuery, nameRef, recordId } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

export function activityTools(): ToolDef[] {
  return [
    {
      name: 'crm.activity.list',
      title: 'List activities',
      description: `Notes, calls, emails, meetings and follow-ups of a record, newest first; upcoming follow-ups: type follow_up, sort dueAt. ${ID_HINT} ${FILTER_HINT}`,
      input: listInput('activities', {
        type: z.enum(ACTIVITY_TYPES).optional(),
        organizationId: Id.optional(),
        personId: Id.optional(),
        dealId: Id.optional(),
      }),
      output: page(RecordOut),
      ...READ,
      async run(services, ctx, args) {
        const query = listQuery(args, ['type', 'organizationId', 'personId', 'dealId'], 'activities');
        query.sort ??= '-occurredAt';
        const result = await services.records.list(ctx, 'activities', query);
        return { data: compactActivities(result.data, args.full === true), nextCursor: result.nextCursor, ...(result.total === undefined ? {} : { total: result.total }) };
      },
    },
    {
      name: 'crm.activity.add',
      title: 'Log an activity',
      description: `Log a note, call, email or meeting, or a follow-up due at dueAt, on an organization, person or deal by id or exact name (deal: title).`,
      input: z.strictObject({
        ...ActivityCreate.shape,
        organization: nameRef(),
        person: nameRef(),
        deal: nameRef(),
      }),
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'log activities');
        const input = await resolveNamedRefs(services, ctx, args, [
          { nameField: 'organization', idField: 'organizationId', collection: 'organizations' },
          { nameField: 'person', idField: 'personId', collection: 'people' },
          { nameField: 'deal', idField: 'dealId', collection: 'deals' },
        ]);
        return present((await services.records.create(ctx, 'activities', input)).record);
      },
    },
    {
      name: 'crm.activity.complete',
      title: 'Complete a follow-up',
      description: `Mark a follow-up or other activity done (now or at completedAt); completed: false reopens it. ${ID_HINT}`,
      input: z.strictObject({
        id: recordId('activity'),
        completed: z.boolean().optional(),
        completedAt: IsoDateTime.optional(),
      }),
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'complete activities');
        const current = await services.records.get(ctx, 'activities', args.id);
        if (args.completed === false) return present(await services.records.update(ctx, 'activities', args.id, { completed: false }));
        if (current.completedAt && args.completedAt === undefined) return present(current);
        return present(await services.records.update(ctx, 'activities', args.id, args.completedAt ? { completedAt: args.completedAt } : { completed: true }));
      },
    },
  ];
}
