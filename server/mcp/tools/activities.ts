/**
 * Activities: notes, calls, emails, meetings and follow-ups — list, log (on records given by id or
 * name), complete or reopen.
 */
import { z } from 'zod';
import { ACTIVITY_TYPES, ActivityCreate, Id, IsoDateTime } from '../../../shared/schemas.js';
import { requireWrite } from '../../domain/context.js';
import { resolveNamedRefs } from '../names.js';
import { ActivityCompact, ActivityOut, compactActivities, page } from '../shapes.js';
import { ID_HINT, listInput, listQuery, nameRef, recordId } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

export function activityTools(): ToolDef[] {
  return [
    {
      name: 'crm.activity.list',
      title: 'List activities',
      description: `List activities (notes, calls, emails, meetings, follow-ups), newest first by default, as compact records with a body preview. Filter by organizationId, personId, dealId, type or q; sort by occurredAt or dueAt (e.g. sort "dueAt" with type "follow_up" for upcoming follow-ups). Page with limit and cursor. ${ID_HINT}`,
      input: listInput('activities', {
        type: z.enum(ACTIVITY_TYPES).optional(),
        organizationId: Id.optional(),
        personId: Id.optional(),
        dealId: Id.optional(),
      }),
      output: page(ActivityCompact),
      ...READ,
      async run(services, ctx, args) {
        const query = listQuery(args, ['type', 'organizationId', 'personId', 'dealId']);
        query.sort ??= '-occurredAt';
        const result = await services.records.list(ctx, 'activities', query);
        return { data: compactActivities(result.data, args.full === true), nextCursor: result.nextCursor };
      },
    },
    {
      name: 'crm.activity.add',
      title: 'Log an activity',
      description: `Log a note, call, email or meeting, or schedule a follow-up (type "follow_up" with dueAt), on an organization, person and/or deal — at least one; each may be given by id or by exact name/title (organization, person, deal). occurredAt defaults to now; times are ISO 8601 (e.g. 2026-03-01T14:00:00Z). Returns the activity.`,
      input: z.strictObject({
        ...ActivityCreate.shape,
        organization: nameRef('organization', 'organizationId'),
        person: nameRef('person', 'personId'),
        deal: nameRef('deal (by title)', 'dealId'),
      }),
      output: ActivityOut,
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
        return (await services.records.create(ctx, 'activities', input)).record;
      },
    },
    {
      name: 'crm.activity.complete',
      title: 'Complete a follow-up',
      description: `Mark a follow-up (or any activity) as done, now or at completedAt; completed: false reopens it. Completing an already completed activity changes nothing. Returns the activity. ${ID_HINT}`,
      input: z.strictObject({
        id: recordId('activity'),
        completed: z.boolean().optional().describe('false reopens the activity (default true)'),
        completedAt: IsoDateTime.optional().describe('When it was done (default now)'),
      }),
      output: ActivityOut,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'complete activities');
        const current = await services.records.get(ctx, 'activities', args.id);
        if (args.completed === false) return services.records.update(ctx, 'activities', args.id, { completed: false });
        if (current.completedAt && args.completedAt === undefined) return current;
        return services.records.update(ctx, 'activities', args.id, args.completedAt ? { completedAt: args.completedAt } : { completed: true });
      },
    },
  ];
}
