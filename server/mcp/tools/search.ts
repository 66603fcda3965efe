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
    description: `Start here with a name but no id: organizations, people and deals whose name, email, domain or title match a text. ${ID_HINT}`,
    input: z.strictObject({
      q: z.string().trim().min(1, { error: 'must not be empty' }).max(200),
      types: z.array(z.enum(['organization', 'person', 'deal'])).optional(),
      limit: z.number().int().min(1).max(100).optional(),
    }),
    output: z.looseObject({
      data: z.array(z.looseObject({ type: z.string(), id: z.string(), title: z.string() })),
    }),
    ...READ,
    async run(services, ctx, args) {
      const { data } = await services.views.search(ctx, { q: args.q, ...(args.limit ? { limit: args.limit } : {}), ...(args.types?.length ? { types: args.types.join(',') } : {}) });
      return { data: data.map((h) => ({ type: h.type, id: h.id, title: h.title, subtitle: h.subtitle, archived: h.record.archivedAt != null })) };
    },
  };
}
