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
    description: `Who changed what and when, newest first: the action, old and new values, user, key and source (rest, mcp, sync, cli). ${ID_HINT}`,
    input: z.strictObject({
      entityType: z.enum(['organization', 'person', 'deal', 'dealContact', 'activity', 'pipeline', 'stage']).optional(),
      entityId: Id.optional(),
      action: z.enum(AUDIT_ACTIONS).optional(),
      limit: z.number().int().min(1).max(200).optional(),
      cursor: z.string().optional(),
      full: z.boolean().optional(),
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
