/**
 * Deals — list, get, create, update (stage moves, won/lost), archive — with their stage, pipeline,
 * organization and primary person given by id or by name; and the people on a deal (contacts).
 */
import { z } from 'zod';
import { DealContactCreate, DealCreate, DealUpdate, DEAL_STATUSES, Id } from '../../../shared/schemas.js';
import { requireWrite, type Ctx } from '../../domain/context.js';
import { DomainError, invalid } from '../../domain/errors.js';
import type { Services } from '../../domain/services.js';
import { pipelineFrom, resolveNamedRefs, stageByName } from '../names.js';
import { compactDeals, dealOut, page, present, RecordOut } from '../shapes.js';
import { FILTER_HINT, ID_HINT, ifVersion, listInput, listQuery, nameRef, recordId } from './inputs.js';
import { archiveTool } from './records.js';
import { READ, type ToolDef } from './tool.js';

const dealRefs = [
  { nameField: 'organization', idField: 'organizationId', collection: 'organizations' as const },
  { nameField: 'primaryPerson', idField: 'primaryPersonId', collection: 'people' as const },
];
const dealNameFields = {
  organization: nameRef(),
  primaryPerson: nameRef(),
  pipeline: nameRef(),
  stage: z.string().trim().min(1, { error: 'must not be empty' }).max(100).optional(),
};

/** Resolves pipeline/stage names of a deal create or update into pipelineId/stageId. */
async function resolveDealStage(services: Services, ctx: Ctx, args: Record<string, unknown>, currentPipelineId: string | null): Promise<Record<string, unknown>> {
  const { stage, pipeline, ...rest } = args as Record<string, unknown> & { stage?: string; pipeline?: string };
  if (pipeline !== undefined || stage !== undefined) {
    const p = await pipelineFrom(services, ctx, { pipelineId: rest.pipelineId as string | undefined, pipeline }, currentPipelineId);
    if (pipeline !== undefined || rest.pipelineId !== undefined) rest.pipelineId = p.id;
    if (stage !== undefined) {
      const s = await stageByName(services, ctx, p.id, stage);
      if (rest.stageId !== undefined && rest.stageId !== s.id) throw invalid('stage', `'${stage}' is stage ${s.id}, but stageId is ${String(rest.stageId)}; pass only one of them`);
      rest.stageId = s.id;
    }
  }
  return rest;
}

export function dealTools(): ToolDef[] {
  return [
    {
      name: 'crm.deal.list',
      title: 'List deals',
      description: `Find deals by status, pipeline, stage, organizationId, personId, label or title: compact, with names, paged by cursor. ${ID_HINT} ${FILTER_HINT}`,
      input: listInput('deals', {
        status: z.enum(DEAL_STATUSES).optional(),
        pipelineId: Id.optional(),
        pipeline: nameRef(),
        stageId: Id.optional(),
        stage: z.string().trim().min(1).max(100).optional(),
        organizationId: Id.optional(),
        personId: Id.optional(),
      }),
      output: page(RecordOut),
      ...READ,
      async run(services, ctx, args) {
        // personId: the deal's primary person or one of its contacts, as on REST (the domain's derived filter)
        const query = listQuery(args, ['status', 'stageId', 'organizationId', 'personId'], 'deals');
        if (args.pipelineId !== undefined || args.pipeline !== undefined || args.stage !== undefined) {
          const p = await pipelineFrom(services, ctx, { pipelineId: args.pipelineId, pipeline: args.pipeline });
          query.pipelineId = p.id;
          if (args.stage !== undefined) {
            const s = await stageByName(services, ctx, p.id, args.stage);
            if (args.stageId !== undefined && args.stageId !== s.id) throw invalid('stage', `'${args.stage}' is stage ${s.id}, but stageId is ${args.stageId}; pass only one of them`);
            query.stageId = s.id;
          }
        }
        const result = await services.records.list(ctx, 'deals', query);
        return { data: await compactDeals(services, ctx, result.data, args.full === true), nextCursor: result.nextCursor, ...(result.total === undefined ? {} : { total: result.total }) };
      },
    },
    {
      name: 'crm.deal.get',
      title: 'Get a deal',
      description: `One deal by id with all fields and its stage name; with contacts and activities too, use crm.context.deal. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('deal') }),
      output: RecordOut,
      ...READ,
      run: async (services, ctx, args) => dealOut(services, ctx, await services.records.get(ctx, 'deals', args.id)),
    },
    {
      name: 'crm.deal.create',
      title: 'Create a deal',
      description: `Create a deal (title required; default: first stage of the default pipeline); pipeline, stage, organization, primaryPerson by id or exact name.`,
      input: z.strictObject({ ...DealCreate.shape, ...dealNameFields }),
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'create deals');
        let input = await resolveNamedRefs(services, ctx, args, dealRefs);
        input = await resolveDealStage(services, ctx, input, null);
        return dealOut(services, ctx, (await services.records.create(ctx, 'deals', input)).record);
      },
    },
    {
      name: 'crm.deal.update',
      title: 'Update a deal',
      description: `Change a deal by id, sending only the fields to change: stage (a name in its pipeline) moves it, status won or lost closes it. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('deal'), ...DealUpdate.shape, ...dealNameFields, ifVersion }),
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'change deals');
        const current = await services.records.get(ctx, 'deals', args.id);
        let input = await resolveNamedRefs(services, ctx, args, dealRefs);
        input = await resolveDealStage(services, ctx, input, current.pipelineId as string);
        const { id, ifVersion: version, ...patch } = input;
        return dealOut(services, ctx, await services.records.update(ctx, 'deals', id as string, patch, { ifVersion: version as number | undefined }));
      },
    },
    archiveTool('deals', 'deal', 'deals', RecordOut, dealOut),
  ];
}

// ---------------------------------------------------------------- deal contacts

export function dealContactTools(): ToolDef[] {
  const personRef = { personId: Id.optional(), person: nameRef() };
  const resolvePerson = async (services: Services, ctx: Ctx, args: { personId?: string; person?: string }) => {
    if (args.personId === undefined && args.person === undefined) throw invalid('personId', 'is required: give the person id, or their exact name as person');
    return (await resolveNamedRefs(services, ctx, args, [{ nameField: 'person', idField: 'personId', collection: 'people' }])).personId as string;
  };
  return [
    {
      name: 'crm.deal.contact.add',
      title: 'Add a contact to a deal',
      description: `Add a person (personId or exact name) to a deal's contacts with a role such as decision-maker; once per deal. ${ID_HINT}`,
      input: z.strictObject({ dealId: recordId('deal'), ...personRef, role: DealContactCreate.shape.role }),
      output: RecordOut,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'change deal contacts');
        const personId = await resolvePerson(services, ctx, args);
        const { record } = await services.records.create(ctx, 'dealContacts', { dealId: args.dealId, personId, ...(args.role !== undefined ? { role: args.role } : {}) });
        const person = await services.records.get(ctx, 'people', personId);
        return present({ ...record, personName: person.name });
      },
    },
    {
      name: 'crm.deal.contact.remove',
      title: 'Remove a contact from a deal',
      description: `Remove a person (personId or exact name) from a deal's contacts; the person and the deal stay. ${ID_HINT}`,
      input: z.strictObject({ dealId: recordId('deal'), ...personRef }),
      output: z.looseObject({ removed: z.boolean(), dealId: z.string(), personId: z.string() }),
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'change deal contacts');
        const personId = await resolvePerson(services, ctx, args);
        const contacts = await services.views.dealContacts(ctx, args.dealId);
        const contact = contacts.find((c) => (c as Record<string, unknown>).personId === personId);
        if (!contact) throw new DomainError('not_found', `person ${personId} is not a contact of deal ${args.dealId}`);
        await services.records.remove(ctx, 'dealContacts', contact.id, undefined, 'MEMBER');
        return { removed: true, dealId: args.dealId, personId };
      },
    },
  ];
}
