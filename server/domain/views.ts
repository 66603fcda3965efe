/**
 * Read models built over several collections: the pipeline summary (exact money per currency),
 * composite contexts for agents and detail pages, global search and labels.
 */
import { z } from 'zod';
import { isCollectionName } from '../../shared/collections.js';
import { MoneyAccumulator, type MoneyTotals } from '../../shared/money.js';
import { maxChars } from '../../shared/schemas.js';
import { customValueSql } from '../store/customIndexes.js';
import { labelCounts, rowToRecord, type AnyRecord } from '../store/records.js';
import type { Ctx } from './context.js';
import { parseInput } from './errors.js';
import type { RecordService } from './records.js';
import { liveStages } from './entities/pipelines.js';

export const SummaryQuery = z.strictObject({
  status: z.enum(['open', 'won', 'lost', 'all']).optional().describe('Which deals to count (default open)'),
  workspace: z.string().optional(),
});

export interface StageSummary {
  stageId: string;
  name: string;
  position: number;
  probability: number | null;
  count: number;
  totals: MoneyTotals[];
}

export interface PipelineSummary {
  pipelineId: string;
  name: string;
  status: string;
  totalDeals: number;
  /** One entry per currency; deals in different currencies are never added together. */
  totals: MoneyTotals[];
  stages: StageSummary[];
}

export const SearchQuery = z.strictObject({
  q: maxChars(z.string().trim().min(1, { error: 'must not be empty' }), 200),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  types: z.string().optional().describe('Comma-separated: organization,person,deal'),
  workspace: z.string().optional(),
});

export interface SearchHit {
  type: 'organization' | 'person' | 'deal';
  id: string;
  title: string;
  subtitle: string | null;
  record: AnyRecord;
}

const RECENT = 20;
/** Custom records of one type shown in a context. */
const RELATED_PER_TYPE = 100;

/** Custom object records whose reference fields point at a record (crm.context.*, detail pages), by object type. */
export interface RelatedRecords {
  type: string;
  singular: string;
  plural: string;
  icon: string | null;
  /** The type's reference fields that point at the record. */
  fields: string[];
  records: AnyRecord[];
}

export class ViewService {
  constructor(private readonly records: RecordService) {}

  private get db() {
    return this.records.store.db;
  }

  async pipelineSummary(ctx: Ctx, pipelineId: string, input: unknown = {}): Promise<PipelineSummary> {
    const { status = 'open' } = parseInput(SummaryQuery, input);
    const pipeline = await this.records.get(ctx, 'pipelines', pipelineId);
    const stages = await liveStages({ tx: this.db, ctx }, pipelineId);
    let q = this.db
      .selectFrom('deals')
      .select(['stageId', 'amount', 'currency', 'probability'])
      .where('workspaceId', '=', ctx.workspaceId)
      .where('pipelineId', '=', pipelineId)
      .where('deleted', '=', 0)
      .where('archivedAt', 'is', null);
    if (status !== 'all') q = q.where('status', '=', status);
    const deals = await q.execute();
    const total = new MoneyAccumulator();
    const perStage = new Map(stages.map((s) => [s.id, new MoneyAccumulator()]));
    const counts = new Map<string, number>();
    const stageProbability = new Map(stages.map((s) => [s.id, s.probability as number | null]));
    for (const deal of deals) {
      const probability = (deal.probability as number | null) ?? stageProbability.get(deal.stageId) ?? 0;
      total.add(deal.currency, deal.amount, probability);
      perStage.get(deal.stageId)?.add(deal.currency, deal.amount, probability);
      counts.set(deal.stageId, (counts.get(deal.stageId) ?? 0) + 1);
    }
    return {
      pipelineId,
      name: pipeline.name as string,
      status,
      totalDeals: deals.length,
      totals: total.totals(),
      stages: stages.map((s) => ({
        stageId: s.id,
        name: s.name as string,
        position: s.position as number,
        probability: s.probability as number | null,
        count: counts.get(s.id) ?? 0,
        totals: perStage.get(s.id)!.totals(),
      })),
    };
  }

  private async activitiesFor(ctx: Ctx, field: 'personId' | 'organizationId' | 'dealId', id: string) {
    const base = () => this.db.selectFrom('activities').selectAll().where('workspaceId', '=', ctx.workspaceId).where(field, '=', id).where('deleted', '=', 0).where('archivedAt', 'is', null);
    const recent = await base().orderBy('occurredAt', 'desc').orderBy('id', 'desc').limit(RECENT).execute();
    const followUps = await base().where('type', '=', 'follow_up').where('completedAt', 'is', null).orderBy('dueAt').limit(100).execute();
    return {
      recentActivities: recent.map((r) => rowToRecord('activities', r)),
      openFollowUps: followUps.map((r) => ({ ...rowToRecord('activities', r), overdue: r.dueAt != null && Date.parse(r.dueAt) < Date.now() })),
    };
  }

  /**
   * Custom object records (live, not archived) with a reference field that points at the record,
   * grouped by their (live) object type in key order, at most RELATED_PER_TYPE each by name.
   */
  private async relatedRecords(ctx: Ctx, collection: 'people' | 'organizations' | 'deals', id: string): Promise<RelatedRecords[]> {
    const definitions = await this.db
      .selectFrom('fields')
      .select(['entity', 'key'])
      .where('workspaceId', '=', ctx.workspaceId)
      .where('deleted', '=', 0)
      .where('archivedAt', 'is', null)
      .where('type', '=', 'reference')
      .where('referenceTo', '=', collection)
      .orderBy('position')
      .orderBy('id')
      .execute();
    const byType = new Map<string, string[]>();
    for (const d of definitions) if (!isCollectionName(d.entity)) byType.set(d.entity, [...(byType.get(d.entity) ?? []), d.key]);
    if (byType.size === 0) return [];
    const types = await this.db
      .selectFrom('objectTypes')
      .selectAll()
      .where('workspaceId', '=', ctx.workspaceId)
      .where('deleted', '=', 0)
      .where('archivedAt', 'is', null)
      .where('key', 'in', [...byType.keys()])
      .orderBy('key')
      .execute();
    const out: RelatedRecords[] = [];
    for (const type of types) {
      const fields = byType.get(type.key)!;
      const rows = await this.db
        .selectFrom('records')
        .selectAll()
        .where('workspaceId', '=', ctx.workspaceId)
        .where('type', '=', type.key)
        .where('deleted', '=', 0)
        .where('archivedAt', 'is', null)
        .where((eb) => eb.or(fields.map((key) => eb(customValueSql(this.db, key, 'reference'), '=', id))))
        .orderBy('name')
        .orderBy('id')
        .limit(RELATED_PER_TYPE)
        .execute();
      if (rows.length > 0) out.push({ type: type.key, singular: type.singular, plural: type.plural, icon: type.icon ?? null, fields, records: rows.map((r) => rowToRecord('records', r)) });
    }
    return out;
  }

  /** Deals with their stage and pipeline names. */
  private async withStageNames(ctx: Ctx, deals: AnyRecord[]) {
    const stages = await this.records.getMany(
      ctx,
      'stages',
      deals.map((d) => d.stageId as string),
    );
    const pipelines = await this.records.getMany(
      ctx,
      'pipelines',
      deals.map((d) => d.pipelineId as string),
    );
    return deals.map((d): AnyRecord & { stageName: string | null; pipelineName: string | null } => ({
      ...d,
      stageName: (stages.get(d.stageId as string)?.name as string) ?? null,
      pipelineName: (pipelines.get(d.pipelineId as string)?.name as string) ?? null,
    }));
  }

  private async dealsWhere(ctx: Ctx, field: 'organizationId' | 'primaryPersonId', id: string): Promise<AnyRecord[]> {
    const rows = await this.db
      .selectFrom('deals')
      .selectAll()
      .where('workspaceId', '=', ctx.workspaceId)
      .where(field, '=', id)
      .where('deleted', '=', 0)
      .orderBy('createdAt', 'desc')
      .limit(200)
      .execute();
    return rows.map((r) => rowToRecord('deals', r));
  }

  async personContext(ctx: Ctx, id: string) {
    const person = await this.records.get(ctx, 'people', id);
    const organization = person.organizationId ? ((await this.records.getMany(ctx, 'organizations', [person.organizationId as string])).get(person.organizationId as string) ?? null) : null;
    const contactRows = await this.db.selectFrom('dealContacts').selectAll().where('workspaceId', '=', ctx.workspaceId).where('personId', '=', id).where('deleted', '=', 0).execute();
    const roles = new Map(contactRows.map((c) => [c.dealId as string, c.role as string | null]));
    const primary = await this.dealsWhere(ctx, 'primaryPersonId', id);
    const linked = await this.records.getMany(ctx, 'deals', [...roles.keys()]);
    const deals = new Map<string, AnyRecord>([...linked, ...primary.map((d) => [d.id, d] as const)]);
    const withNames = await this.withStageNames(ctx, [...deals.values()]);
    return {
      person,
      organization,
      deals: withNames.map((d) => ({ ...d, isPrimaryPerson: d.primaryPersonId === id, contactRole: roles.get(d.id) ?? null })),
      ...(await this.activitiesFor(ctx, 'personId', id)),
      customRecords: await this.relatedRecords(ctx, 'people', id),
    };
  }

  async organizationContext(ctx: Ctx, id: string) {
    const organization = await this.records.get(ctx, 'organizations', id);
    const people = await this.db
      .selectFrom('people')
      .selectAll()
      .where('workspaceId', '=', ctx.workspaceId)
      .where('organizationId', '=', id)
      .where('deleted', '=', 0)
      .orderBy('name')
      .limit(500)
      .execute();
    const deals = await this.withStageNames(ctx, await this.dealsWhere(ctx, 'organizationId', id));
    return {
      organization,
      people: people.map((r) => rowToRecord('people', r)),
      deals,
      ...(await this.activitiesFor(ctx, 'organizationId', id)),
      customRecords: await this.relatedRecords(ctx, 'organizations', id),
    };
  }

  async dealContext(ctx: Ctx, id: string) {
    const deal = await this.records.get(ctx, 'deals', id);
    const [withNames] = await this.withStageNames(ctx, [deal]);
    const stage = (await this.records.getMany(ctx, 'stages', [deal.stageId as string])).get(deal.stageId as string) ?? null;
    const pipeline = (await this.records.getMany(ctx, 'pipelines', [deal.pipelineId as string])).get(deal.pipelineId as string) ?? null;
    const organization = deal.organizationId ? ((await this.records.getMany(ctx, 'organizations', [deal.organizationId as string])).get(deal.organizationId as string) ?? null) : null;
    const contacts = await this.dealContacts(ctx, id);
    const primaryPerson = deal.primaryPersonId ? ((await this.records.getMany(ctx, 'people', [deal.primaryPersonId as string])).get(deal.primaryPersonId as string) ?? null) : null;
    const stageChanges = await this.stageChanges(ctx, id);
    return {
      deal: withNames,
      stage,
      pipeline,
      organization,
      primaryPerson,
      contacts,
      stageChanges,
      ...(await this.activitiesFor(ctx, 'dealId', id)),
      customRecords: await this.relatedRecords(ctx, 'deals', id),
    };
  }

  /** A deal's contacts, each with the person record. */
  async dealContacts(ctx: Ctx, dealId: string) {
    await this.records.get(ctx, 'deals', dealId);
    const rows = await this.db.selectFrom('dealContacts').selectAll().where('workspaceId', '=', ctx.workspaceId).where('dealId', '=', dealId).where('deleted', '=', 0).orderBy('createdAt').execute();
    const contacts = rows.map((r) => rowToRecord('dealContacts', r));
    const people = await this.records.getMany(
      ctx,
      'people',
      contacts.map((c) => c.personId as string),
    );
    return contacts.map((c) => ({ ...c, person: people.get(c.personId as string) ?? null }));
  }

  /** Stage history of a deal, oldest first, with stage names. */
  async stageChanges(ctx: Ctx, dealId: string) {
    await this.records.get(ctx, 'deals', dealId);
    const rows = await this.db
      .selectFrom('stageChanges')
      .selectAll()
      .where('workspaceId', '=', ctx.workspaceId)
      .where('dealId', '=', dealId)
      .where('deleted', '=', 0)
      .orderBy('changedAt')
      .orderBy('version')
      .execute();
    const changes = rows.map((r) => rowToRecord('stageChanges', r));
    const stageIds = changes.flatMap((c) => [c.fromStageId as string, c.toStageId as string]).filter(Boolean);
    const names = new Map<string, string>();
    if (stageIds.length) {
      const stages = await this.db
        .selectFrom('stages')
        .select(['id', 'name'])
        .where('id', 'in', [...new Set(stageIds)])
        .execute();
      for (const s of stages) names.set(s.id, s.name);
    }
    return changes.map((c) => ({ ...c, fromStageName: c.fromStageId ? (names.get(c.fromStageId as string) ?? null) : null, toStageName: names.get(c.toStageId as string) ?? null }));
  }

  async search(ctx: Ctx, input: unknown): Promise<{ data: SearchHit[] }> {
    const query = parseInput(SearchQuery, input);
    const limit = query.limit ?? 20;
    const types = new Set((query.types ?? 'organization,person,deal').split(',').map((t) => t.trim()));
    const hits: SearchHit[] = [];
    const opts = { q: query.q, limit, archived: 'all' } as const;
    if (types.has('organization')) {
      for (const r of (await this.records.list(ctx, 'organizations', { ...opts, sort: 'name' })).data)
        hits.push({ type: 'organization', id: r.id, title: r.name as string, subtitle: (r.domain as string) ?? null, record: r });
    }
    if (types.has('person')) {
      for (const r of (await this.records.list(ctx, 'people', { ...opts, sort: 'name' })).data)
        hits.push({ type: 'person', id: r.id, title: r.name as string, subtitle: [r.title, r.email].filter(Boolean).join(' · ') || null, record: r });
    }
    if (types.has('deal')) {
      for (const r of (await this.records.list(ctx, 'deals', { ...opts, sort: 'title' })).data)
        hits.push({ type: 'deal', id: r.id, title: r.title as string, subtitle: `${r.status}${r.amount != null ? ` · ${r.amount} ${r.currency}` : ''}`, record: r });
    }
    const needle = query.q.toLowerCase();
    const rank = (h: SearchHit) => (h.title.toLowerCase() === needle ? 0 : h.title.toLowerCase().startsWith(needle) ? 1 : 2) + (h.record.archivedAt ? 3 : 0);
    hits.sort((a, b) => rank(a) - rank(b) || a.title.localeCompare(b.title));
    return { data: hits.slice(0, limit) };
  }

  async labels(ctx: Ctx) {
    return { data: await labelCounts(this.db, ctx.workspaceId) };
  }
}
