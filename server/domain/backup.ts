/**
 * Backup and restore of a whole workspace (SPEC §3): one JSON document with the workspace's
 * settings and every stored row of its CRM collections (records, fields, object types, pipelines,
 * stages, deal contacts, stage changes, tombstones included) and its audit trail, as the store
 * holds them. It is written page by page (streamed: memory stays flat) and restored in one
 * transaction into a new workspace whose rows are the same apart from the workspace id — ids,
 * versions, timestamps and custom values included — so a dump of both compares equal.
 *
 * Restore is a copy of stored rows, not a series of writes (like moving a data directory): it
 * writes no audit entries of its own and sends no webhooks. It refuses a backup whose ids are
 * already stored in this data directory (restore into another data directory, or delete the
 * original workspace first). Webhook endpoints, automations, members and keys are not in a backup.
 */
import { z } from 'zod';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { newId } from '../../shared/ids.js';
import { Currency } from '../../shared/schemas.js';
import { tableColumns } from '../store/dialect.js';
import { advanceSequence, type Row } from '../store/records.js';
import type { Store } from '../store/store.js';
import { nowIso, requireWrite, type Ctx, type Workspace } from './context.js';
import { conflict, DomainError, parseInput, ValidationError } from './errors.js';

export const BACKUP_FORMAT = 'kith-workspace-backup';
/**
 * The tables of a backup, in restore order: the records, the audit trail with the operations
 * (merges, bulk changes) its entries name, and the workspace's webhooks and automations with their
 * secrets. Not in it: deliveries, runs and import sessions (history of work done), and what belongs
 * to people rather than the workspace (accounts, members, API keys, OAuth grants).
 */
export const BACKUP_TABLES = [...COLLECTION_NAMES, 'auditEntries', 'operations', 'webhookEndpoints', 'automations', 'automationSecrets'] as const;
/** The column a table's rows are paged and checked for clashes by (`seq` is not restored). */
const KEYS: Partial<Record<(typeof BACKUP_TABLES)[number], string>> = { auditEntries: 'seq', automationSecrets: 'name' };
const isCollection = (table: string): table is CollectionName => (COLLECTION_NAMES as readonly string[]).includes(table);
const PAGE = 1000;

/** The backup of a workspace as chunks of JSON text (owners). */
export async function* backupJson(store: Store, ctx: Ctx): AsyncGenerator<string> {
  requireWrite(ctx, 'OWNER', 'back up the workspace');
  const ws = ctx.workspace;
  const head = { format: BACKUP_FORMAT, version: 1, createdAt: nowIso(), workspace: { id: ws.id, slug: ws.slug, name: ws.name, defaultCurrency: ws.defaultCurrency, features: ws.features } };
  yield `${JSON.stringify(head).slice(0, -1)},"tables":{`;
  let firstTable = true;
  for (const table of BACKUP_TABLES) {
    yield `${firstTable ? '' : ','}${JSON.stringify(table)}:[`;
    firstTable = false;
    const key = KEYS[table] ?? 'id';
    let after: unknown = null;
    let first = true;
    for (;;) {
      let q = store.db.selectFrom(table).selectAll().where('workspaceId', '=', ws.id);
      if (after !== null) q = q.where(key, '>', after);
      const rows = await q.orderBy(key).limit(PAGE).execute();
      if (rows.length === 0) break;
      const parts = rows.map((row: Row) => {
        const { seq: _seq, ...rest } = row;
        return JSON.stringify(table === 'auditEntries' ? rest : row);
      });
      yield `${first ? '' : ','}${parts.join(',')}`;
      first = false;
      after = rows[rows.length - 1][key];
      if (rows.length < PAGE) break;
    }
    yield ']';
  }
  yield '}}';
}

const Backup = z.object({
  format: z.literal(BACKUP_FORMAT, { error: `must be "${BACKUP_FORMAT}" (a document from GET /crm/workspace/backup or kith backup)` }),
  version: z.literal(1, { error: 'must be 1' }),
  workspace: z.object({ id: z.string(), slug: z.string(), name: z.string(), defaultCurrency: Currency, features: z.record(z.string(), z.boolean()) }),
  tables: z.record(z.enum(BACKUP_TABLES, { error: `must be one of ${BACKUP_TABLES.join(', ')}` }), z.array(z.record(z.string(), z.unknown()))),
});
export const RestoreOptions = z.strictObject({
  slug: z
    .string({ error: 'is required: the new workspace slug' })
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be lower-case letters, digits and dashes (a-z0-9-)' }),
  name: z.string().trim().min(1).max(200).optional(),
});

/**
 * Restores a backup into a new workspace `slug` (one transaction: all of it or nothing), owned by
 * `ownerUserId` when given. Answers the new workspace and the rows restored per table.
 */
export async function restoreBackup(store: Store, document: unknown, options: unknown, ownerUserId: string | null): Promise<{ workspace: Workspace; restored: Record<string, number> }> {
  const { slug, name } = parseInput(RestoreOptions, options);
  const backup = parseInput(Backup, document);
  const taken = await store.db.selectFrom('workspaces').select('id').where('slug', '=', slug).executeTakeFirst();
  if (taken) throw conflict(`workspace slug '${slug}' is taken`, { id: taken.id });
  const workspace: Workspace = { id: newId(), slug, name: name ?? backup.workspace.name, defaultCurrency: backup.workspace.defaultCurrency, features: backup.workspace.features, createdAt: nowIso() };
  const restored: Record<string, number> = {};
  await store.write(workspace.id, async (tx, touch) => {
    await tx
      .insertInto('workspaces')
      .values({ ...workspace, features: JSON.stringify(workspace.features) })
      .execute();
    if (ownerUserId) await tx.insertInto('memberships').values({ workspaceId: workspace.id, userId: ownerUserId, role: 'OWNER', createdAt: nowIso() }).execute();
    let maxVersion = 0;
    for (const table of BACKUP_TABLES) {
      const rows = backup.tables[table] ?? [];
      restored[table] = rows.length;
      if (rows.length === 0) continue;
      const columns = await tableColumns(tx, table);
      for (const [i, row] of rows.entries()) {
        const unknown = Object.keys(row).filter((k) => !columns.has(k) || k === 'seq');
        if (unknown.length) throw new ValidationError([{ path: `tables.${table}.${i}.${unknown[0]}`, message: `not a column of ${table}` }]);
      }
      if (KEYS[table] === undefined) {
        const ids = rows.map((r) => String(r.id));
        for (let i = 0; i < ids.length; i += 500) {
          const clash = await tx
            .selectFrom(table)
            .select('id')
            .where('id', 'in', ids.slice(i, i + 500))
            .executeTakeFirst();
          if (clash)
            throw conflict(`${table} ${clash.id as string} of this backup is already stored in this data directory; restore into another data directory, or delete the original workspace first`, {
              id: clash.id,
            });
        }
        if (isCollection(table)) for (const r of rows) maxVersion = Math.max(maxVersion, Number(r.version ?? 0));
      }
      const width = Object.keys(rows[0]).length + 1;
      const batch = Math.max(1, Math.floor(30000 / width));
      for (let i = 0; i < rows.length; i += batch) {
        // audit snapshots name the workspace too: they name the new one
        const snapshot = (v: unknown) => (typeof v === 'string' ? v.replaceAll(backup.workspace.id, workspace.id) : v);
        const values = rows
          .slice(i, i + batch)
          .map((r) => ({ ...r, workspaceId: workspace.id, ...(table === 'auditEntries' ? { id: r.id ?? newId(), before: snapshot(r.before), after: snapshot(r.after) } : {}) }));
        try {
          await tx.insertInto(table).values(values).execute();
        } catch (error) {
          throw new DomainError('invalid', `tables.${table}: a row could not be stored (${(error as Error).message})`, [{ path: `tables.${table}`, message: (error as Error).message }]);
        }
      }
      if (isCollection(table) && table !== 'stageChanges') touch(table, 0);
    }
    // the change sequence stays ahead of every restored version
    await advanceSequence(tx, maxVersion);
  });
  return { workspace, restored };
}
