/**
 * crm.search: organizations, people and deals matching a text — where an agent starts when it
 * has a name but no id.
 */
import { z } from 'zod';
import { ID_HINT } from './inputs.js';
import { READ, type ToolDef } from './tool.js';

export function searchTool(): ToolDef {
  return {
    name: 'crm.search',
    title: 'Search the CRM',
    description: `Find organizations (by name, domain), people (name, email, title, phone) and deals (title) matching a text, best matches first; archived records are included and marked. Start here when you have a name but no id. ${ID_HINT}`,
    input: z.strictObject({
      q: z.string().trim().min(1, { error: 'must not be empty' }).max(200).describe('Text to look for'),
      types: z
        .array(z.enum(['organization', 'person', 'deal']))
        .optional()
        .describe('Limit to these record types (default all)'),
      limit: z.number().int().min(1).max(100).optional().describe('At most this many results (default 20)'),
    }),
    output: z.object({
      data: z.array(z.object({ type: z.enum(['organization', 'person', 'deal']), id: z.string(), title: z.string(), subtitle: z.string().nullable(), archived: z.boolean() })),
    }),
    ...READ,
    async run(services, ctx, args) {
      const { data } = await services.views.search(ctx, { q: args.q, ...(args.limit ? { limit: args.limit } : {}), ...(args.types?.length ? { types: args.types.join(',') } : {}) });
      return { data: data.map((h) => ({ type: h.type, id: h.id, title: h.title, subtitle: h.subtitle, archived: h.record.archivedAt != null })) };
    },
  };
}
