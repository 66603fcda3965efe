/**
 * Bulk operations (SPEC §3): one action over records named by id or by a list filter (the list
 * query of server/domain/records/list.ts, so the same filters select the same records), as one
 * operation whose every audit entry carries its id (POST /crm/operations/:operationId/undo reverts
 * it). Each record goes through the record service (rules, custom fields, audit, webhooks,
 * automations) in its own savepoint of the one transaction: a record the rules refuse is reported
 * in `errors` and leaves nothing behind; the others are written. A dry run does all of it and
 * rolls the transaction back, so it reports exactly what would change and changes nothing.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { requiredRole } from '../../shared/permissions.js';
import { Id, Label } from '../../shared/schemas.js';
import type { AnyRecord, Row } from '../store/records.js';
import { requireWrite, type Ctx } from './context.js';
import { DomainError, invalid, parseInput } from './errors.js';
import { beginOperation } from './operations.js';
import type { RecordService } from './records.js';
import type { WriteScope } from './records/scope.js';

export const BULK_COLLECTIONS = ['organizations', 'people', 'deals', 'activities'] as const;
export type BulkCollection = (typeof BULK_COLLECTIONS)[number];
/** What a bulk operation runs on: a standard collection, or the records of one custom object type. */
type BulkTarget = BulkCollection | { type: string };
export const BULK_ACTIONS = ['update', 'addLabels', 'removeLabels', 'archive', 'restore', 'delete', 'moveStage'] as const;
/** Records one operation may touch. */
export const BULK_MAX = 10_000;

export const BulkInput = z
  .strictObject({
    ids: z.array(Id).min(1).max(BULK_MAX).optional().describe('The records, by id'),
    filter: z.record(z.string(), z.unknown()).optional().describe('Or the records a list with these query parameters would return, e.g. {"q": "acme", "label": "vip", "archived": "all"} (every page)'),
    action: z.enum(BULK_ACTIONS, { error: `must be one of ${BULK_ACTIONS.join(', ')}` }),
    values: z.record(z.string(), z.unknown()).optional().describe('update: the patch (custom included); addLabels/removeLabels: {labels: [...]}; moveStage: {stageId} or {stage: name}'),
    dryRun: z.boolean().optional().describe('Report what would change; change nothing'),
  })
  .refine((b) => (b.ids === undefined) !== (b.filter === undefined), { error: 'give either ids or filter', path: ['ids'] });

export const BulkResult = z.object({
  matched: z.number().int().describe('Records the ids or filter named'),
  changed: z.number().int().describe('Records the action changed (would change, in a dry run)'),
  operationId: z.string().nullable().describe('Undo with POST /crm/operations/:operationId/undo (null in a dry run)'),
  dryRun: z.boolean(),
  ids: z.array(z.string()).describe('The records changed (would change)'),
  errors: z.array(z.object({ id: z.string(), path: z.string(), message: z.string() })).describe('Records the action was refused for, with why'),
});
export type BulkResult = z.infer<typeof BulkResult>;

class DryRun extends Error {
  constructor(readonly result: BulkResult) {
    super('dry run');
  }
}

/** A filter object as list query parameters (values as the strings a query string carries). */
function filterQuery(filter: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(filter)) {
    if (['limit', 'cursor', 'sort', 'count'].includes(key)) throw invalid(`filter.${key}`, 'a bulk operation takes every matching record; leave out limit, cursor, sort and count');
    out[key] = Array.isArray(value) ? value.map(String) : value === null ? '' : String(value);
  }
  return out;
}

export class BulkService {
  constructor(private readonly records: RecordService) {}

  private async select(ctx: Ctx, collection: CollectionName, type: string | null, input: { ids?: string[]; filter?: Row }, action: string): Promise<string[]> {
    if (input.ids) return [...new Set(input.ids)];
    const query = filterQuery(input.filter!);
    if (type !== null) query.type = type;
    // restoring is about archived records: a filter that does not say otherwise looks at them
    if (action === 'restore' && query.archived === undefined) query.archived = 'true';
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      let page;
      try {
        page = await this.records.list(ctx, collection, { ...query, limit: 500, sort: 'createdAt', ...(cursor ? { cursor } : {}) });
      } catch (error) {
        // the list names the query parameter; here it is a key of filter
        if (error instanceof DomainError && error.errors.length > 0)
          throw new DomainError(
            error.code,
            error.message,
            error.errors.map((e) => ({ ...e, path: `filter.${e.path}` })),
          );
        throw error;
      }
      ids.push(...page.data.map((r) => r.id));
      if (ids.length > BULK_MAX) throw invalid('filter', `matches more than ${BULK_MAX} records; narrow it`);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  /**
   * Runs `action` over the records (SPEC §3 "Bulk operations"): of a collection, or `{type}` for
   * the records of a custom object type (the caller checked the type exists; ids of another
   * type's records are refused like unknown ones).
   */
  async run(ctx: Ctx, target: BulkTarget, body: unknown): Promise<BulkResult> {
    const collection: CollectionName = typeof target === 'string' ? target : 'records';
    const type = typeof target === 'string' ? null : target.type;
    const input = parseInput(BulkInput, body);
    const values = (input.values ?? {}) as Row;
    const { action } = input;
    // the role the action needs (deleting: owners), checked for the whole operation up front
    const need = action === 'delete' ? 'delete' : action === 'archive' ? 'archive' : action === 'restore' ? 'restore' : 'update';
    requireWrite(ctx, requiredRole(collection, need) ?? 'OWNER', `${action} ${COLLECTIONS[collection].label}s`);
    if (action === 'moveStage' && collection !== 'deals') throw invalid('action', 'moveStage moves deals');
    if ((action === 'addLabels' || action === 'removeLabels') && !COLLECTIONS[collection].jsonFields.includes('labels')) throw invalid('action', `${collection} have no labels`);
    const labels = action === 'addLabels' || action === 'removeLabels' ? parseInput(z.strictObject({ labels: z.array(Label).min(1) }), values, 'values') : null;
    if (action === 'moveStage')
      parseInput(z.union([z.strictObject({ stageId: Id }), z.strictObject({ stage: z.string().trim().min(1) })], { error: 'give {stageId} or {stage: name}' }), values, 'values');
    if (action === 'update' && Object.keys(values).length === 0) throw invalid('values', 'the fields to set, e.g. {"ownerId": "…"}');
    const ids = await this.select(ctx, collection, type, input, action);
    const dryRun = input.dryRun === true;

    try {
      return await this.records.transaction(ctx, async (scope) => {
        const opCtx = await beginOperation(scope, 'bulk', collection, action);
        const s: WriteScope = { ...scope, ctx: opCtx };
        const changed: string[] = [];
        const errors: BulkResult['errors'] = [];
        const found = await this.records.getMany(opCtx, collection, ids, scope.tx);
        for (const id of ids) {
          const record = found.get(id);
          if (!record || (type !== null && record.type !== type)) {
            errors.push({ id, path: 'id', message: `no ${type ?? COLLECTIONS[collection].label} ${id} in this workspace` });
            continue;
          }
          await sql.raw('SAVEPOINT mrg_bulk_record').execute(scope.tx);
          try {
            const after = await this.apply(opCtx, s, collection, record, action, values, labels?.labels ?? []);
            await sql.raw('RELEASE mrg_bulk_record').execute(scope.tx);
            if (after) changed.push(id);
          } catch (error) {
            await sql.raw('ROLLBACK TO mrg_bulk_record').execute(scope.tx);
            await sql.raw('RELEASE mrg_bulk_record').execute(scope.tx);
            if (!(error instanceof DomainError) || error.code === 'role_forbidden') throw error;
            if (error.errors.length === 0) errors.push({ id, path: '', message: error.message });
            for (const e of error.errors) errors.push({ id, path: e.path, message: e.message });
          }
        }
        const result: BulkResult = { matched: ids.length, changed: changed.length, operationId: dryRun ? null : opCtx.operationId!, dryRun, ids: changed, errors };
        if (dryRun) throw new DryRun(result);
        return result;
      });
    } catch (error) {
      if (error instanceof DryRun) return error.result;
      throw error;
    }
  }

  /** One record: the record after the action, or null when it changed nothing. */
  private async apply(ctx: Ctx, s: WriteScope, collection: CollectionName, record: AnyRecord, action: (typeof BULK_ACTIONS)[number], values: Row, labels: string[]): Promise<AnyRecord | null> {
    const { records } = this;
    const changedOf = (after: AnyRecord) => (after.version !== record.version ? after : null);
    switch (action) {
      case 'update':
        return changedOf(await records.update(ctx, collection, record.id, values, {}, s));
      case 'addLabels':
      case 'removeLabels': {
        const current = (record.labels ?? []) as string[];
        const next = action === 'addLabels' ? [...new Set([...current, ...labels])] : current.filter((l) => !labels.includes(l));
        if (next.length === current.length && next.every((l, i) => l === current[i])) return null;
        return changedOf(await records.update(ctx, collection, record.id, { labels: next }, {}, s));
      }
      case 'archive':
      case 'restore':
        return changedOf(await records.setArchived(ctx, collection, record.id, action === 'archive', s));
      case 'delete':
        await records.remove(ctx, collection, record.id, s);
        return record;
      case 'moveStage': {
        let stageId = values.stageId as string | undefined;
        if (!stageId) {
          // by name, in the deal's own pipeline
          const name = String(values.stage).trim().toLowerCase();
          const stage = await s.tx
            .selectFrom('stages')
            .select('id')
            .where('workspaceId', '=', ctx.workspaceId)
            .where('deleted', '=', 0)
            .where('pipelineId', '=', String(record.pipelineId))
            .where(sql<boolean>`lower("name") = ${name}`)
            .executeTakeFirst();
          if (!stage) throw invalid('values.stage', `the deal's pipeline has no stage named ${String(values.stage)}`);
          stageId = String(stage.id);
        }
        if (stageId === record.stageId) return null;
        return changedOf(await records.update(ctx, collection, record.id, { stageId }, {}, s));
      }
    }
  }
}
