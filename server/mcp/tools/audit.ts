/**
 * crm.audit.history: who changed what, when, through which adapter.
 */
import { z } from 'zod';
import { AUDIT_ACTIONS, Id } from '../../../shared/schemas.js';
import { AuditCompact, compactAudit, page } from '../shapes.js';
import { ID_HINT } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

export function auditTool(): ToolDef {
  return {
    name: 'crm.audit.history',
    title: 'Change history',
    description: `Who changed what and when, newest first: each entry has the action (create, update, archive, restore, delete, conflict, rejected), the changed fields with old and new values, the acting user and key, and the source (rest, mcp, sync, cli). Filter by entityType (organization, person, deal, activity, pipeline, stage, dealContact) and entityId; page with limit and cursor. full: true returns complete before/after snapshots. ${ID_HINT}`,
    input: z.strictObject({
      entityType: z.enum(['organization', 'person', 'deal', 'dealContact', 'activity', 'pipeline', 'stage']).optional(),
      entityId: Id.optional(),
      action: z.enum(AUDIT_ACTIONS).optional(),
      limit: z.number().int().min(1).max(200).optional().describe('Page size (default 25, at most 200)'),
      cursor: z.string().optional().describe('nextCursor of the previous page'),
      full: z.boolean().optional().describe('Include full before/after snapshots'),
    }),
    output: page(AuditCompact),
    ...READ,
    async run(services, ctx, args) {
      const { full, ...query } = args;
      const result = await services.audit(ctx, { limit: 25, ...query });
      return { data: compactAudit(result.data, full === true), nextCursor: result.nextCursor };
    },
  };
}
