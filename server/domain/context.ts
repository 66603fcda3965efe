/**
 * Who is acting, in which workspace, with which role, through which adapter. Every domain call
 * takes one; adapters build it from the API key (or the CLI / direct MCP owner).
 */
import { roleAtLeast as rankAtLeast } from '../../shared/permissions.js';
import type { Role, Source } from '../../shared/schemas.js';
import { forbidden } from './errors.js';

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  defaultCurrency: string;
  features: Record<string, boolean>;
  createdAt: string;
}

export interface Ctx {
  workspace: Workspace;
  workspaceId: string;
  userId: string | null;
  keyId: string | null;
  role: Role;
  /** A read-only key: may read everything its role may, write nothing. */
  readOnly: boolean;
  source: Source;
  /**
   * The replicating client (device) a sync write comes from (`X-Kith-Client`), recorded in the
   * audit entries it causes, so the merge can tell a client's own earlier writes from others'.
   */
  clientId?: string | null;
  /**
   * A write made by an automation's run (source `automation`): how deep in a chain of automations
   * it is (the runs its change queues are one deeper; past 3 none are), and notes the run records
   * (e.g. that the limit stopped a run).
   */
  automation?: { automationId: string; runId: string; depth: number; notes: string[] };
  /**
   * The operation a write belongs to (a merge, a bulk operation, an undo): every audit entry it
   * writes carries the id (column `operationId`, and `detail.operationId`), so it can be undone as one.
   */
  operationId?: string;
}

/** True when the caller's role is `role` or above (shared/permissions.ts ranks the roles). */
export function roleAtLeast(ctx: Ctx, role: Role): boolean {
  return rankAtLeast(ctx.role, role);
}

/** Throws 403 unless the caller may write with at least `role` (for records: `requiredRole` of shared/permissions.ts). */
export function requireWrite(ctx: Ctx, role: Role = 'MEMBER', what = 'change records'): void {
  if (ctx.readOnly) throw forbidden(`This API key is read-only: it cannot ${what}`);
  if (!roleAtLeast(ctx, role)) {
    throw forbidden(`Your role ${ctx.role} cannot ${what} in workspace '${ctx.workspace.slug}' (needs ${role})`);
  }
}

export function featureEnabled(ctx: Ctx, feature = 'crm.core'): boolean {
  return ctx.workspace.features[feature] !== false;
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** A system context (bootstrap, migrations) acting as owner of a workspace. */
export function systemCtx(workspace: Workspace, source: Source = 'system', userId: string | null = null): Ctx {
  return { workspace, workspaceId: workspace.id, userId, keyId: null, role: 'OWNER', readOnly: false, source };
}
