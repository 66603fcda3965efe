/**
 * What an MCP tool is — a description written for a model, a zod input schema, an output schema,
 * honest annotations and the role it needs — and which tools a caller may use now. Each file
 * beside this one holds the tools of one area; ../catalogue.ts puts them together. Handlers only
 * call the domain services.
 */
import type { z } from 'zod';
import type { Role } from '../../../shared/schemas.js';
import { featureEnabled, roleAtLeast, type Ctx } from '../../domain/context.js';
import type { Services } from '../../domain/services.js';

export type ToolResult = Record<string, unknown>;

export interface ToolDef {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  /** null: a read tool. Otherwise the least role that may call it (read-only keys never). */
  writeRole: Role | null;
  /** A read tool only this role and above see and call (read-only keys included), e.g. owners' integrations. */
  readRole?: Role;
  /** For write tools: may change or remove existing data (vs. only adding). */
  destructive?: boolean;
  /** Repeating the same call has no further effect. */
  idempotent?: boolean;
  /** Listed and callable even while crm.core is disabled. */
  ungated?: boolean;
  run(services: Services, ctx: Ctx, args: any): Promise<ToolResult>;
}

export const READ: Pick<ToolDef, 'writeRole'> = { writeRole: null };

export function toolAllowed(ctx: Ctx, role: Role | null): boolean {
  if (role === null) return true;
  const rank = { VIEWER: 0, MEMBER: 1, OWNER: 2 } as const;
  return !ctx.readOnly && rank[ctx.role] >= rank[role];
}

/** Tools listed for this caller now: crm.* only while crm.core is enabled, writes only for roles that may write. */
export function visibleTools(tools: ToolDef[], ctx: Ctx): ToolDef[] {
  const enabled = featureEnabled(ctx);
  return tools.filter((t) => (t.ungated || enabled) && toolAllowed(ctx, t.writeRole) && (!t.readRole || roleAtLeast(ctx, t.readRole)));
}
