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
import { OrganizationOut, PersonOut } from '../shapes.js';
import { ID_HINT } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

const looseRecord = z.looseObject({ id: z.string() });

const contextInput = (noun: string, nameNote: string) =>
  z.strictObject({ id: Id.optional().describe(`Id of the ${noun}`), name: z.string().trim().min(1).max(300).optional().describe(`The ${noun} by exact ${nameNote} instead of id`) });
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
      description: `Everything about one person in one call: the person, their organization, their deals (with stage names, whether they are the primary person and their contact role), recent activities (newest first, up to 20) and open follow-ups (with overdue flags). Give the id or the exact name. ${ID_HINT}`,
      input: contextInput('person', 'name'),
      output: z.object({ person: PersonOut, organization: OrganizationOut.nullable(), deals: z.array(looseRecord), recentActivities: z.array(looseRecord), openFollowUps: z.array(looseRecord) }),
      ...READ,
      run: async (services, ctx, args) => services.views.personContext(ctx, await byIdOrName(services, ctx, args, 'people', 'person')),
    },
    {
      name: 'crm.context.organization',
      title: 'Organization with context',
      description: `Everything about one organization in one call: the organization, its people, its deals (with stage names), recent activities and open follow-ups. Give the id or the exact name. ${ID_HINT}`,
      input: contextInput('organization', 'name'),
      output: z.object({ organization: OrganizationOut, people: z.array(looseRecord), deals: z.array(looseRecord), recentActivities: z.array(looseRecord), openFollowUps: z.array(looseRecord) }),
      ...READ,
      run: async (services, ctx, args) => services.views.organizationContext(ctx, await byIdOrName(services, ctx, args, 'organizations', 'organization')),
    },
    {
      name: 'crm.context.deal',
      title: 'Deal with context',
      description: `Everything about one deal in one call: the deal (with stage and pipeline names), its stage and pipeline, organization, primary person, contacts with roles, stage history (oldest first), recent activities and open follow-ups. Give the id or the exact title as name. ${ID_HINT}`,
      input: contextInput('deal', 'title'),
      output: z.object({
        deal: looseRecord,
        stage: looseRecord.nullable(),
        pipeline: looseRecord.nullable(),
        organization: looseRecord.nullable(),
        primaryPerson: looseRecord.nullable(),
        contacts: z.array(looseRecord),
        stageChanges: z.array(looseRecord),
        recentActivities: z.array(looseRecord),
        openFollowUps: z.array(looseRecord),
      }),
      ...READ,
      run: async (services, ctx, args) => services.views.dealContext(ctx, await byIdOrName(services, ctx, args, 'deals', 'deal')),
    },
  ];
}
