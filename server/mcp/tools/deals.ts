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
import { compactDeals, DealCompact, DealContactOut, dealOut, DealOut, page } from '../shapes.js';
import { ID_HINT, ifVersion, listInput, listQuery, nameRef, recordId } from './inputs.js';
import { archiveTool } from './records.js';
import { READ, type ToolDef } from './tool.js';

const dealRefs = [
  { nameField: 'organization', idField: 'organizationId', collection: 'organizations' as const },
  { nameField: 'primaryPerson', idField: 'primaryPersonId', collection: 'people' as const },
];
const dealNameFields = {
  organization: nameRef('organization', 'organizationId'),
  primaryPerson: nameRef('primary contact person', 'primaryPersonId'),
  pipeline: nameRef('pipeline', 'pipelineId'),
  stage: z.string().trim().min(1, { error: 'must not be empty' }).max(100).optional().describe('The stage by name, e.g. "Proposal" (case-insensitive, in the deal\'s pipeline), instead of stageId'),
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
      description: `List deals, newest first, as compact records with stage, pipeline, organization and primary person names. Filter by status (open/won/lost), pipeline (pipelineId or name), stage (stageId or name), organizationId, personId (primary person), label or q (title search); page with limit and cursor. For totals per stage use crm.pipeline.summary. ${ID_HINT}`,
      input: listInput('deals', {
        status: z.enum(DEAL_STATUSES).optional().describe('open, won or lost'),
        pipelineId: Id.optional(),
        pipeline: nameRef('pipeline', 'pipelineId'),
        stageId: Id.optional(),
        stage: z.string().trim().min(1).max(100).optional().describe('Stage name (in the given pipeline, else the default pipeline), instead of stageId'),
        organizationId: Id.optional(),
        personId: Id.optional().describe('Only deals whose primary person is this person'),
      }),
      output: page(DealCompact),
      ...READ,
      async run(services, ctx, args) {
        const query = listQuery(args, ['status', 'stageId', 'organizationId']);
        if (args.pipelineId !== undefined || args.pipeline !== undefined || args.stage !== undefined) {
          const p = await pipelineFrom(services, ctx, { pipelineId: args.pipelineId, pipeline: args.pipeline });
          query.pipelineId = p.id;
          if (args.stage !== undefined) {
            const s = await stageByName(services, ctx, p.id, args.stage);
            if (args.stageId !== undefined && args.stageId !== s.id) throw invalid('stage', `'${args.stage}' is stage ${s.id}, but stageId is ${args.stageId}; pass only one of them`);
            query.stageId = s.id;
          }
        }
        const extra = args.personId ? { primaryPersonId: args.personId } : {};
        const result = await services.records.list(ctx, 'deals', query, extra);
        return { data: await compactDeals(services, ctx, result.data, args.full === true), nextCursor: result.nextCursor };
      },
    },
    {
      name: 'crm.deal.get',
      title: 'Get a deal',
      description: `Get one deal by id with every field plus its stage and pipeline names. For the deal with its organization, contacts, stage history and activities use crm.context.deal. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('deal') }),
      output: DealOut,
      ...READ,
      run: async (services, ctx, args) => dealOut(services, ctx, await services.records.get(ctx, 'deals', args.id)),
    },
    {
      name: 'crm.deal.create',
      title: 'Create a deal',
      description: `Create a deal. Only title is required: it goes into the default pipeline's first stage unless you name a pipeline and/or stage (by id or by name, e.g. stage: "Qualified"). Link the organization and primary person by id or exact name. amount is a decimal number in currency (default: the workspace currency); status defaults to open. Pass your own id (UUIDv7) to make retries safe. Returns the deal with its stage name.`,
      input: z.strictObject({ ...DealCreate.shape, ...dealNameFields }),
      output: DealOut,
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
      description: `Change a deal: pass its id and only the fields to change. Move it to another stage with stage: "<stage name>" (resolved in the deal's pipeline, case-insensitive) or stageId; every move is recorded in the deal's stage history. Mark it won or lost with status (lostReason explains a loss); status open reopens it. null clears an optional field. Returns the updated deal with its stage name. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('deal'), ...DealUpdate.shape, ...dealNameFields, ifVersion }),
      output: DealOut,
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
    archiveTool('deals', 'deal', 'deals', DealOut, dealOut),
  ];
}

// ---------------------------------------------------------------- deal contacts

export function dealContactTools(): ToolDef[] {
  const personRef = { personId: Id.optional().describe('Id of the person'), person: nameRef('person', 'personId') };
  const resolvePerson = async (services: Services, ctx: Ctx, args: { personId?: string; person?: string }) => {
    if (args.personId === undefined && args.person === undefined) throw invalid('personId', 'is required: give the person id, or their exact name as person');
    return (await resolveNamedRefs(services, ctx, args, [{ nameField: 'person', idField: 'personId', collection: 'people' }])).personId as string;
  };
  return [
    {
      name: 'crm.deal.contact.add',
      title: 'Add a contact to a deal',
      description: `Link a person to a deal with their role on it (e.g. decision-maker, champion, end-user). The person may be given by id or exact name. A person can be a contact of many deals; adding the same person twice to one deal fails. Returns the link with the person's name. ${ID_HINT}`,
      input: z.strictObject({ dealId: recordId('deal'), ...personRef, role: DealContactCreate.shape.role }),
      output: DealContactOut,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'change deal contacts');
        const personId = await resolvePerson(services, ctx, args);
        const { record } = await services.records.create(ctx, 'dealContacts', { dealId: args.dealId, personId, ...(args.role !== undefined ? { role: args.role } : {}) });
        const person = await services.records.get(ctx, 'people', personId);
        return { ...record, personName: person.name };
      },
    },
    {
      name: 'crm.deal.contact.remove',
      title: 'Remove a contact from a deal',
      description: `Unlink a person from a deal (the person and the deal stay). The person may be given by id or exact name. ${ID_HINT}`,
      input: z.strictObject({ dealId: recordId('deal'), ...personRef }),
      output: z.object({ removed: z.boolean(), dealId: z.string(), personId: z.string() }),
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
