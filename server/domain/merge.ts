/**
 * Duplicates, merge and upsert of people and organizations (SPEC §3 "Duplicates and merge", §4
 * upserts). Every write goes through the record service inside one transaction per merge:
 * references move to the target by ordinary updates (rules, custom-field validation, audit,
 * webhooks, automations), the target takes the chosen values with its labels united (one `merge`
 * audit entry with every snapshot), the sources become tombstones. All of it is one operation
 * (./operations.ts), which POST /crm/merges/:auditEntryId/undo reverts.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { COLLECTIONS } from '../../shared/collections.js';
import { domainFromWebsite, writable } from '../../shared/rules.js';
import { Id } from '../../shared/schemas.js';
import { jsonScalar } from '../store/dialect.js';
import type { AnyRecord, Row } from '../store/records.js';
import { requireWrite, type Ctx } from './context.js';
import { DomainError, invalid, notFound, parseInput } from './errors.js';
import { beginOperation, referencingFields, undoOperation, type UndoResult } from './operations.js';
import type { RecordService } from './records.js';
import { sameValue } from './records/scope.js';

export type MergeCollection = 'people' | 'organizations';
export const MERGE_COLLECTION = { person: 'people', organization: 'organizations' } as const;

export const DuplicatesQuery = z.strictObject({
  entity: z.enum(['person', 'organization'], { error: 'must be person or organization' }).optional().describe('Which records (default: both)'),
  workspace: z.string().optional().describe('Workspace slug or id (instead of X-Kith-Workspace)'),
});

const DuplicateRecord = z.object({ id: z.string(), name: z.string(), email: z.string().nullable().optional(), domain: z.string().nullable().optional(), updatedAt: z.string() });
export const DuplicateGroup = z.object({
  entity: z.enum(['person', 'organization']),
  reason: z.enum(['email', 'domain', 'name']).describe('same email (people), same website domain (organizations), same normalized name'),
  value: z.string().describe('The shared email, domain or normalized name'),
  records: z.array(DuplicateRecord).describe('Oldest first: the first is the usual merge target'),
});
export type DuplicateGroup = z.infer<typeof DuplicateGroup>;

export const MergeInput = z.strictObject({
  targetId: Id.describe('The record that stays'),
  sourceIds: z.array(Id).min(1, { error: 'name at least one record to merge into the target' }).max(50).describe('Records merged into the target, then deleted (tombstones)'),
  fields: z
    .record(z.string(), Id)
    .optional()
    .describe(
      'Per field (custom ones as custom.<key>), the record whose value the target keeps: the target or a source. Others keep the target value, or the first source value when the target has none; labels are united',
    ),
});

export const Warning = z.object({
  code: z.literal('duplicate'),
  field: z.string().describe('email or domain'),
  duplicateOf: z.string().describe('Id of the existing record'),
  message: z.string(),
});
export type Warning = z.infer<typeof Warning>;

export interface MergeResult {
  record: AnyRecord;
  auditEntryId: string;
  operationId: string;
  moved: Record<string, number>;
}

/** Lower case, letters and digits only, single spaces: "ACME, Inc." and "acme inc" are the same name. */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export class MergeService {
  constructor(private readonly records: RecordService) {}

  private get db() {
    return this.records.store.db;
  }

  /** Groups of likely duplicates of one or both entities (live, active records only). */
  async duplicates(ctx: Ctx, input: unknown): Promise<{ data: DuplicateGroup[] }> {
    const query = parseInput(DuplicatesQuery, input);
    const entities = query.entity ? [query.entity] : (['person', 'organization'] as const);
    const data: DuplicateGroup[] = [];
    for (const entity of entities) {
      const collection = MERGE_COLLECTION[entity];
      const keyField = collection === 'people' ? 'email' : 'domain';
      const rows = (await this.db
        .selectFrom(collection)
        .select(['id', 'name', 'createdAt', 'updatedAt', keyField])
        .where('workspaceId', '=', ctx.workspaceId)
        .where('deleted', '=', 0)
        .where('archivedAt', 'is', null)
        .orderBy('createdAt')
        .orderBy('id')
        .execute()) as Row[];
      const groups = new Map<string, Row[]>();
      const add = (key: string, row: Row) => groups.set(key, [...(groups.get(key) ?? []), row]);
      for (const row of rows) {
        const value = row[keyField];
        if (typeof value === 'string' && value.trim()) add(`${keyField}\u0000${value.trim().toLowerCase()}`, row);
        const name = normalizeName(String(row.name ?? ''));
        if (name) add(`name\u0000${name}`, row);
      }
      const seen = new Set<string>();
      for (const [key, members] of groups) {
        if (members.length < 2) continue;
        const ids = members.map((m) => m.id).join(',');
        if (seen.has(ids)) continue; // the same records for two reasons: listed once, by the stronger one (email/domain come first)
        seen.add(ids);
        const [reason, value] = key.split('\u0000');
        data.push({
          entity,
          reason: reason as DuplicateGroup['reason'],
          value,
          records: members.map((m) => ({ id: String(m.id), name: String(m.name), [keyField]: (m[keyField] as string | null) ?? null, updatedAt: String(m.updatedAt) })),
        });
      }
    }
    return { data };
  }

  /** Live records other than `record` with its email (people) or domain (organizations): the create-time warning. */
  async duplicateWarnings(ctx: Ctx, collection: string, record: Row): Promise<Warning[]> {
    if (collection !== 'people' && collection !== 'organizations') return [];
    const field = collection === 'people' ? 'email' : 'domain';
    const value = record[field];
    if (typeof value !== 'string' || !value) return [];
    const rows = await this.db
      .selectFrom(collection)
      .select(['id', 'name'])
      .where('workspaceId', '=', ctx.workspaceId)
      .where('deleted', '=', 0)
      .where('id', '!=', String(record.id))
      .where(sql<boolean>`lower(${sql.ref(field)}) = ${value.toLowerCase()}`)
      .orderBy('createdAt')
      .limit(5)
      .execute();
    const noun = collection === 'people' ? 'a person' : 'an organization';
    return rows.map((r) => ({
      code: 'duplicate' as const,
      field,
      duplicateOf: String(r.id),
      message: `${noun} with ${field} ${value} already exists: ${String(r.name)} (${String(r.id)}); merge them with POST /crm/${collection}/merge (crm.merge) if they are the same`,
    }));
  }

  /**
   * Merges `sourceIds` into `targetId` (SPEC §3) in one transaction: references move, the target
   * keeps the chosen values and unites labels, the sources' other emails and phones (websites of
   * organizations) go to its notes, the sources become tombstones. 404 for an unknown record, 409
   * when the target is among the sources.
   */
  async merge(ctx: Ctx, collection: MergeCollection, input: unknown): Promise<MergeResult> {
    const { targetId, sourceIds: rawSources, fields = {} } = parseInput(MergeInput, input);
    requireWrite(ctx, 'MEMBER', `merge ${COLLECTIONS[collection].label}s`);
    const sourceIds = [...new Set(rawSources)];
    if (sourceIds.includes(targetId)) throw invalid('sourceIds', 'must not include the target');
    const chosen = Object.entries(fields);
    const shape = writable(collection)!.update.shape;
    for (const [field, from] of chosen) {
      if (!(field in shape) && !/^custom\.[a-z][a-z0-9_]*$/.test(field)) throw invalid(`fields.${field}`, `not a field of ${collection}; fields are ${Object.keys(shape).join(', ')} or custom.<key>`);
      if (from !== targetId && !sourceIds.includes(from)) throw invalid(`fields.${field}`, 'must be the target or one of the sources');
    }
    return this.records.transaction(ctx, async (scope) => {
      const opCtx = await beginOperation(scope, 'merge', collection, 'merge');
      const s = { ...scope, ctx: opCtx };
      const target = await this.records.get(opCtx, collection, targetId, scope.tx);
      const sources: AnyRecord[] = [];
      for (const id of sourceIds) sources.push(await this.records.get(opCtx, collection, id, scope.tx));
      const byId = new Map([target, ...sources].map((r) => [r.id, r]));
      const moved: Record<string, number> = {};
      const count = (what: string) => (moved[what] = (moved[what] ?? 0) + 1);

      // 1. every standard reference to a source now names the target
      for (const [refCollection, field] of referencingFields(collection)) {
        const rows = await scope.tx.selectFrom(refCollection).selectAll().where('workspaceId', '=', ctx.workspaceId).where('deleted', '=', 0).where(field, 'in', sourceIds).execute();
        for (const row of rows) {
          if (refCollection === 'dealContacts') {
            // a link's person never changes: the source's link goes and the target gets one with its role,
            // unless it is on that deal already (undo deletes the new link and brings the old one back)
            await this.records.remove(opCtx, 'dealContacts', String(row.id), s, 'MEMBER');
            const twin = await scope.tx
              .selectFrom('dealContacts')
              .select('id')
              .where('workspaceId', '=', ctx.workspaceId)
              .where('deleted', '=', 0)
              .where('dealId', '=', row.dealId)
              .where('personId', '=', targetId)
              .executeTakeFirst();
            if (!twin) await this.records.create(opCtx, 'dealContacts', { dealId: row.dealId, personId: targetId, role: row.role ?? null }, s);
            count('dealContacts');
            continue;
          }
          await this.records.update(opCtx, refCollection, String(row.id), { [field]: targetId }, {}, s);
          count(refCollection);
        }
      }
      // 2. reference custom fields (of any entity or custom object type) that point at a source
      const definitions = await scope.tx
        .selectFrom('fields')
        .select(['entity', 'key'])
        .where('workspaceId', '=', ctx.workspaceId)
        .where('deleted', '=', 0)
        .where('type', '=', 'reference')
        .where('referenceTo', '=', collection)
        .execute();
      for (const def of definitions) {
        const entity = String(def.entity);
        const refCollection = entity in COLLECTIONS ? (entity as keyof typeof COLLECTIONS) : 'records';
        const path = `$.${String(def.key)}`;
        let q = scope.tx
          .selectFrom(refCollection)
          .select('id')
          .where('workspaceId', '=', ctx.workspaceId)
          .where('deleted', '=', 0)
          .where(sql<boolean>`${jsonScalar(scope.tx, 'custom', path)} in (${sql.join(sourceIds)})`);
        if (refCollection === 'records') q = q.where('type', '=', entity);
        for (const row of await q.execute()) {
          await this.records.update(opCtx, refCollection, String(row.id), { custom: { [String(def.key)]: targetId } }, {}, s);
          count(`custom.${String(def.key)}`);
        }
      }

      // 3. the target's values: chosen ones, else its own, else the first source's; labels united
      const patch: Row = {};
      const custom: Row = {};
      const valueOf = (record: AnyRecord, field: string) => (field.startsWith('custom.') ? ((record.custom ?? {}) as Row)[field.slice(7)] : record[field]);
      for (const field of Object.keys(shape)) {
        if (['labels', 'custom', 'id'].includes(field)) continue;
        const from = fields[field];
        let value = from ? byId.get(from)![field] : target[field];
        if (!from && (value === null || value === undefined || value === '')) value = sources.map((r) => r[field]).find((v) => v !== null && v !== undefined && v !== '') ?? value;
        if (!sameValue(value, target[field])) patch[field] = value ?? null;
      }
      const customKeys = new Set([...Object.keys((target.custom ?? {}) as Row), ...sources.flatMap((r) => Object.keys((r.custom ?? {}) as Row))]);
      for (const [field] of chosen) if (field.startsWith('custom.')) customKeys.add(field.slice(7));
      for (const key of customKeys) {
        const from = fields[`custom.${key}`];
        let value = from ? valueOf(byId.get(from)!, `custom.${key}`) : valueOf(target, `custom.${key}`);
        if (!from && (value === null || value === undefined)) value = sources.map((r) => valueOf(r, `custom.${key}`)).find((v) => v !== null && v !== undefined) ?? value;
        if (!sameValue(value, valueOf(target, `custom.${key}`))) custom[key] = value ?? null;
      }
      if (Object.keys(custom).length > 0) patch.custom = custom;
      const labels = [...new Set([target, ...sources].flatMap((r) => (r.labels ?? []) as string[]))];
      if (!sameValue(labels, target.labels)) patch.labels = labels;
      // the sources' other contact details stay in the notes
      const kept = collection === 'people' ? ['email', 'phone'] : ['website'];
      const finalOf = (f: string) => (f in patch ? patch[f] : target[f]);
      const extra: string[] = [];
      for (const source of sources) {
        const other = kept.filter((f) => typeof source[f] === 'string' && String(source[f]).toLowerCase() !== String(finalOf(f) ?? '').toLowerCase()).map((f) => `${f} ${String(source[f])}`);
        if (other.length > 0) extra.push(`Merged from ${String(source.name)}: ${other.join(', ')}`);
      }
      if (extra.length > 0) patch.notes = [finalOf('notes'), ...extra].filter((v) => typeof v === 'string' && v).join('\n');

      // 4. the sources become tombstones (their snapshots are in the merge entry; undo brings them back)
      for (const source of sources) await this.records.put(s, collection, source, false, true);
      const detail = { sourceIds, sources, fields, moved, mergedInto: targetId };
      const record = await this.records.update(opCtx, collection, targetId, patch, { audit: { action: 'merge', detail } }, s);
      const entry = await scope.tx
        .selectFrom('auditEntries')
        .select('id')
        .where('workspaceId', '=', ctx.workspaceId)
        .where('operationId', '=', opCtx.operationId!)
        .where('action', '=', 'merge')
        .executeTakeFirstOrThrow();
      return { record, auditEntryId: String(entry.id), operationId: opCtx.operationId!, moved };
    });
  }

  /** Reverts the merge whose `merge` audit entry is `auditEntryId` (SPEC §3): the sources come back and their references with them. */
  async undoMerge(ctx: Ctx, auditEntryId: string): Promise<UndoResult> {
    const entry = Id.safeParse(auditEntryId).success
      ? await this.db.selectFrom('auditEntries').select(['operationId', 'action']).where('workspaceId', '=', ctx.workspaceId).where('id', '=', auditEntryId).executeTakeFirst()
      : undefined;
    if (!entry || entry.action !== 'merge' || !entry.operationId) throw notFound('merge', auditEntryId);
    return undoOperation(this.records, ctx, String(entry.operationId), 'merge');
  }

  /**
   * Creates or updates a person by email, or an organization by domain (from its website) or else
   * exact name (case-insensitive). An update sends only what differs: an identical upsert changes
   * nothing (no version, no audit entry). Several matches are refused (409) with their ids.
   */
  async upsert(ctx: Ctx, collection: MergeCollection, input: Row): Promise<{ record: AnyRecord; outcome: 'created' | 'updated' | 'unchanged' }> {
    const match = await this.match(ctx, collection, input);
    if (!match) return { record: (await this.records.create(ctx, collection, input)).record, outcome: 'created' };
    const patch: Row = {};
    for (const [key, value] of Object.entries(input)) {
      if (key === 'id') continue;
      if (key === 'custom' && value && typeof value === 'object') {
        const changed = Object.fromEntries(Object.entries(value as Row).filter(([k, v]) => !sameValue(((match.custom ?? {}) as Row)[k], v)));
        if (Object.keys(changed).length > 0) patch.custom = changed;
      } else if (!sameValue(match[key], typeof value === 'string' ? value.trim() || null : value)) patch[key] = value;
    }
    if (Object.keys(patch).length === 0) return { record: match, outcome: 'unchanged' };
    const record = await this.records.update(ctx, collection, match.id, patch);
    return { record, outcome: record.version === match.version ? 'unchanged' : 'updated' };
  }

  private async match(ctx: Ctx, collection: MergeCollection, input: Row): Promise<AnyRecord | null> {
    const find = async (field: string, value: string) => {
      const rows = await this.db
        .selectFrom(collection)
        .select('id')
        .where('workspaceId', '=', ctx.workspaceId)
        .where('deleted', '=', 0)
        .where(sql<boolean>`lower(${sql.ref(field)}) = ${value.toLowerCase()}`)
        .limit(6)
        .execute();
      if (rows.length > 1) {
        throw new DomainError(
          'conflict',
          `${rows.length > 5 ? 'more than 5' : rows.length} ${COLLECTIONS[collection].label}s have ${field} ${value}: ${rows.map((r) => String(r.id)).join(', ')}; merge them first (crm.merge)`,
          [{ path: field, message: 'matches several records' }],
        );
      }
      return rows[0] ? this.records.get(ctx, collection, String(rows[0].id)) : null;
    };
    if (collection === 'people') {
      if (typeof input.email !== 'string' || !input.email.trim()) throw invalid('email', 'required: the person is found by email');
      return find('email', input.email.trim());
    }
    const domain = domainFromWebsite(input.website);
    if (domain) {
      const byDomain = await find('domain', domain);
      if (byDomain) return byDomain;
    }
    if (typeof input.name !== 'string' || !input.name.trim()) throw invalid('name', 'required');
    return find('name', input.name.trim());
  }
}
