/**
 * crm.addon.info: whether the CRM is enabled for the workspace, who the caller is in it, and the
 * tools available to them now. Stays listed while crm.core is disabled, so an agent learns why.
 */
import { z } from 'zod';
import { CRM_VERSION } from '../../../shared/version.js';
import { featureEnabled } from '../../domain/context.js';
import { READ, toolAllowed, visibleTools, type ToolDef } from './tool.js';

const InfoOut = z.looseObject({ enabled: z.boolean(), role: z.string(), canWrite: z.boolean(), tools: z.array(z.string()) });

/** crm.addon.info over the catalogue it describes (listed even while crm.core is disabled). */
export function addonInfoTool(catalogue: () => ToolDef[]): ToolDef {
  return {
    name: 'crm.addon.info',
    title: 'About this CRM',
    description: 'Call first when unsure what you can do: whether the CRM is enabled, the workspace and its currency, your role and your tools.',
    input: z.strictObject({}),
    output: InfoOut,
    ...READ,
    ungated: true,
    async run(_services, ctx) {
      const enabled = featureEnabled(ctx);
      return {
        product: 'Kith CRM',
        feature: 'crm.core',
        enabled,
        version: CRM_VERSION,
        workspace: { id: ctx.workspace.id, slug: ctx.workspace.slug, name: ctx.workspace.name, defaultCurrency: ctx.workspace.defaultCurrency },
        role: ctx.role,
        readOnly: ctx.readOnly,
        canWrite: enabled && toolAllowed(ctx, 'MEMBER'),
        canManagePipelines: enabled && toolAllowed(ctx, 'OWNER'),
        userId: ctx.userId,
        entities: [
          'organization (companies; domain derived from website)',
          'person (contacts, optionally at an organization)',
          'deal (in a pipeline stage; amount, currency, status open/won/lost)',
          'deal contact (a person on a deal with a role)',
          'activity (note, call, email, meeting, follow_up on an organization/person/deal)',
          'pipeline and stage (ordered sales stages with default probabilities)',
          'audit entry (every change, read-only)',
        ],
        tools: visibleTools(catalogue(), ctx).map((t) => t.name),
        notes: [
          'Ids are UUID strings; records you create may carry your own UUIDv7 id so retries are safe.',
          'Stages, pipelines, people, organizations and deals can be named by exact name where a tool offers a name field; ambiguous names are refused with the matching ids.',
          'Money amounts are decimals with at most 4 decimal places, summed exactly per currency.',
          'Lists return compact records (full: true for every field) and a nextCursor; pass it back as cursor for the next page. Fields without a value (null, empty) are left out of results.',
          ...(enabled ? [] : ['The CRM is disabled for this workspace: an owner can enable feature crm.core (PATCH /crm/workspace {"features":{"crm.core":true}}).']),
        ],
      };
    },
  };
}
