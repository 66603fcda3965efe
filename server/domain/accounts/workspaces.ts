/**
 * Workspaces: a slug, a name, a default currency and feature switches (`crm.core`). A new
 * workspace starts with the default pipeline; changing its settings is an access change.
 */
import { z } from 'zod';
import { newId } from '../../../shared/ids.js';
import { Currency } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { nowIso, systemCtx, type Ctx, type Workspace } from '../context.js';
import { conflict, forbidden, parseInput } from '../errors.js';
import type { RecordService } from '../records.js';
import { setMembership } from './members.js';

const WorkspaceCreate = z.strictObject({
  slug: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be lower-case letters, digits and dashes (a-z0-9-)' }),
  name: z.string().trim().min(1).max(200),
  defaultCurrency: Currency.optional(),
});
export const WorkspaceUpdate = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  defaultCurrency: Currency.optional(),
  features: z.record(z.string(), z.boolean()).optional(),
});

function toWorkspace(row: Record<string, unknown>): Workspace {
  return { ...(row as unknown as Workspace), features: JSON.parse(String(row.features ?? '{}')) };
}

/** Creates a workspace with its default pipeline; `ownerUserId` becomes its owner. */
export async function createWorkspace(store: Store, records: RecordService, input: unknown, ownerUserId?: string): Promise<Workspace> {
  const data = parseInput(WorkspaceCreate, input);
  const taken = await store.db.selectFrom('workspaces').select('id').where('slug', '=', data.slug).executeTakeFirst();
  if (taken) throw conflict(`workspace slug '${data.slug}' is taken`, { id: taken.id });
  const workspace: Workspace = {
    id: newId(),
    slug: data.slug,
    name: data.name,
    defaultCurrency: data.defaultCurrency ?? 'USD',
    features: { 'crm.core': true },
    createdAt: nowIso(),
  };
  await store.db
    .insertInto('workspaces')
    .values({ ...workspace, features: JSON.stringify(workspace.features) })
    .execute();
  if (ownerUserId) await setMembership(store, workspace.id, ownerUserId, 'OWNER');
  await records.create(systemCtx(workspace, 'system', ownerUserId ?? null), 'pipelines', { name: 'Sales', isDefault: true });
  return workspace;
}

/** Every workspace, or those of one user (with their role in each). */
export async function listWorkspaces(db: Db, userId?: string): Promise<(Workspace & { role?: string })[]> {
  let q = db.selectFrom('workspaces').selectAll('workspaces');
  if (userId) {
    q = q.innerJoin('memberships', 'memberships.workspaceId', 'workspaces.id').where('memberships.userId', '=', userId).select('memberships.role');
  }
  return (await q.orderBy('workspaces.createdAt').execute()).map((r) => ({ ...toWorkspace(r), ...(r.role ? { role: r.role } : {}) }));
}

/** A workspace by slug or id. */
export async function findWorkspace(db: Db, selector: string): Promise<Workspace | null> {
  const row = await db
    .selectFrom('workspaces')
    .selectAll()
    .where((eb) => eb.or([eb('slug', '=', selector), eb('id', '=', selector)]))
    .executeTakeFirst();
  return row ? toWorkspace(row) : null;
}

/** Changes the settings of the caller's workspace (owners). */
export async function updateWorkspace(store: Store, ctx: Ctx, input: unknown): Promise<Workspace> {
  if (ctx.readOnly || ctx.role !== 'OWNER') throw forbidden('only workspace owners can change workspace settings');
  const data = parseInput(WorkspaceUpdate, input);
  const features = { ...ctx.workspace.features, ...(data.features ?? {}) };
  const next = { ...ctx.workspace, ...data, features };
  await store.db
    .updateTable('workspaces')
    .set({ name: next.name, defaultCurrency: next.defaultCurrency, features: JSON.stringify(features) })
    .where('id', '=', ctx.workspaceId)
    .execute();
  store.feed.notifyAccess({ kind: 'workspace', workspaceId: ctx.workspaceId, userId: null, keyId: null });
  return next;
}
