/**
 * crm.context.*: one person, organization or deal (by id or exact name) with everything around
 * it, in one call.
 */
import { z } from 'zod';
import { Id } from '../../../shared/schemas.js';
import type { Ctx } from '../../domain/context.js';
import { invalid } from '../../domain/errors.js';
import type { Services } from '../../domain/services.js';
import { recordByName } from '../names.js';
import { presentEach } from '../shapes.js';
import { ID_HINT } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

// A context is its record (required) and sections around it: records (see shapes.ts) or null, and lists of records.
const record = z.looseObject({});
const section = record.nullable().optional();
const records = z.array(z.unknown()).optional();
const activities = { recentActivities: records, openFollowUps: records };

const contextInput = () => z.strictObject({ id: Id.optional(), name: z.string().trim().min(1).max(300).optional() });
const byIdOrName = async (services: Services, ctx: Ctx, args: { id?: string; name?: string }, collection: 'people' | 'organizations' | 'deals', noun: string) => {
  if (args.id) return args.id;
  if (args.name === undefined) throw invalid('id', `is required: give the ${noun} id, or its exact name as name`);
  return (await recordByName(services, ctx, collection, args.name, 'name', 'id')).id;
};

export function contextTools(): ToolDef[] {
  return [
    {
      name: 'crm.context.person',
      title: 'Person with context',
      description: `A person (id or exact name) with their organization, deals, contact roles, latest activities and open follow-ups, in one call.`,
      input: contextInput(),
      output: z.looseObject({ person: record, organization: section, deals: records, ...activities }),
      ...READ,
      run: async (services, ctx, args) => presentEach(await services.views.personContext(ctx, await byIdOrName(services, ctx, args, 'people', 'person'))),
    },
    {
      name: 'crm.context.organization',
      title: 'Organization with context',
      description: `An organization (id or exact name) with its people, deals, latest activities and open follow-ups, in one call. ${ID_HINT}`,
      input: contextInput(),
      output: z.looseObject({ organization: record, people: records, deals: records, ...activities }),
      ...READ,
      run: async (services, ctx, args) => presentEach(await services.views.organizationContext(ctx, await byIdOrName(services, ctx, args, 'organizations', 'organization'))),
    },
    {
      name: 'crm.context.deal',
      title: 'Deal with context',
      description: `A deal (id or exact title as name) with stage, organization, people, contacts, stage history, activities and follow-ups, in one call.`,
      input: contextInput(),
      output: z.looseObject({
        deal: record,
        stage: section,
        pipeline: section,
        organization: section,
        primaryPerson: section,
        contacts: records,
        stageChanges: records,
        ...activities,
      }),
      ...READ,
      run: async (services, ctx, args) => presentEach(await services.views.dealContext(ctx, await byIdOrName(services, ctx, args, 'deals', 'deal'))),
    },
  ];
}
