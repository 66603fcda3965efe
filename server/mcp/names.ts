/**
 * Naming records by name instead of id, for agents: "move the deal to Proposal", "add Ada
 * Lovelace as a contact". A name resolves only when exactly one live record has it
 * (case-insensitive); otherwise the error names the field and lists what would have matched.
 */
import type { AnyRecord } from '../domain/reads.js';
import type { Ctx } from '../domain/context.js';
import { invalid } from '../domain/errors.js';
import type { Services } from '../domain/services.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function normalizeName(value: unknown): string {
  return String(value ?? '')
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase();
}

const quoteList = (names: string[]) => names.map((n) => `'${n}'`).join(', ');

type NamedCollection = 'organizations' | 'people' | 'deals' | 'pipelines';

const NAMED: Record<NamedCollection, { field: 'name' | 'title'; label: string; list: string; create: string }> = {
  organizations: { field: 'name', label: 'organization', list: 'crm.organization.list', create: 'crm.organization.create' },
  people: { field: 'name', label: 'person', list: 'crm.person.list', create: 'crm.person.create' },
  deals: { field: 'title', label: 'deal', list: 'crm.deal.list', create: 'crm.deal.create' },
  pipelines: { field: 'name', label: 'pipeline', list: 'crm.pipeline.list', create: 'crm.pipeline.create' },
};

/**
 * The one live record of `collection` called `name`. `field` is the input field being resolved
 * (for the error message), `idField` the id alternative the caller could pass instead.
 */
export async function recordByName(services: Services, ctx: Ctx, collection: NamedCollection, name: string, field: string, idField: string): Promise<AnyRecord> {
  const info = NAMED[collection];
  if (UUID.test(name.trim())) {
    const byId = await services.records.getMany(ctx, collection, [name.trim()]);
    const found = byId.get(name.trim());
    if (found) return found;
  }
  const wanted = normalizeName(name);
  const { data } = await services.records.list(ctx, collection, { q: name.trim().slice(0, 200), limit: 100 });
  const exact = data.filter((r) => normalizeName(r[info.field]) === wanted);
  if (exact.length === 1) return exact[0];
  if (exact.length > 1) {
    throw invalid(field, `${exact.length} ${info.label === 'person' ? 'people' : `${info.label}s`} are named '${name.trim()}' (ids ${exact.map((r) => r.id).join(', ')}); pass ${idField} instead`);
  }
  const similar = data.slice(0, 5).map((r) => String(r[info.field]));
  throw invalid(
    field,
    `no ${info.label} is named '${name.trim()}'${similar.length ? ` (similar: ${quoteList(similar)})` : ''}; find the right one with ${info.list} (q=…) and pass ${idField}, ` +
      `or create it first with ${info.create} (${info.field}: '${name.trim()}') and pass the new id as ${idField}`,
  );
}

/** The pipeline's live stages in order. */
async function stagesOf(services: Services, ctx: Ctx, pipelineId: string): Promise<AnyRecord[]> {
  return (await services.records.list(ctx, 'stages', { pipelineId, sort: 'position', limit: 500 })).data;
}

/** A stage of the pipeline by name (or id); unknown or ambiguous names list the valid ones. */
export async function stageByName(services: Services, ctx: Ctx, pipelineId: string, name: string, field = 'stage'): Promise<AnyRecord> {
  const stages = await stagesOf(services, ctx, pipelineId);
  const byId = stages.find((s) => s.id === name.trim());
  if (byId) return byId;
  const wanted = normalizeName(name);
  const exact = stages.filter((s) => normalizeName(s.name) === wanted);
  if (exact.length === 1) return exact[0];
  const pipeline = (await services.records.getMany(ctx, 'pipelines', [pipelineId])).get(pipelineId);
  const where = `pipeline '${String(pipeline?.name ?? pipelineId)}'`;
  if (exact.length > 1) {
    throw invalid(field, `${exact.length} stages of ${where} are named '${name.trim()}' (ids ${exact.map((s) => s.id).join(', ')}); pass stageId instead`);
  }
  throw invalid(field, `no stage named '${name.trim()}' in ${where}; valid stages: ${quoteList(stages.map((s) => String(s.name))) || 'none (add one with crm.stage.create)'}`);
}

/** The workspace default pipeline (there is always one once the workspace exists). */
async function defaultPipeline(services: Services, ctx: Ctx): Promise<AnyRecord> {
  const { data } = await services.records.list(ctx, 'pipelines', { sort: 'position', limit: 500 });
  const found = data.find((p) => p.isDefault) ?? data[0];
  if (!found) throw invalid('pipelineId', 'this workspace has no pipeline; create one with crm.pipeline.create');
  return found;
}

/**
 * A pipeline named by `pipelineId` or `pipeline` (name), else `fallbackId`, else the default.
 * Giving both id and name is refused unless they agree.
 */
export async function pipelineFrom(services: Services, ctx: Ctx, args: { pipelineId?: string | null; pipeline?: string }, fallbackId?: string | null): Promise<AnyRecord> {
  if (args.pipelineId) {
    const pipeline = await services.records.get(ctx, 'pipelines', args.pipelineId);
    if (args.pipeline !== undefined && normalizeName(pipeline.name) !== normalizeName(args.pipeline)) {
      throw invalid('pipeline', `pipelineId ${args.pipelineId} is pipeline '${String(pipeline.name)}', not '${args.pipeline}'; pass only one of them`);
    }
    return pipeline;
  }
  if (args.pipeline !== undefined) return recordByName(services, ctx, 'pipelines', args.pipeline, 'pipeline', 'pipelineId');
  if (fallbackId) return services.records.get(ctx, 'pipelines', fallbackId);
  return defaultPipeline(services, ctx);
}

/**
 * Replaces name fields (e.g. `organization: "Acme"`) with their id fields (`organizationId`).
 * Giving both the name and a different id is an error naming the field.
 */
export async function resolveNamedRefs(
  services: Services,
  ctx: Ctx,
  args: Record<string, unknown>,
  refs: { nameField: string; idField: string; collection: NamedCollection }[],
): Promise<Record<string, unknown>> {
  const out = { ...args };
  for (const { nameField, idField, collection } of refs) {
    const name = out[nameField];
    delete out[nameField];
    if (name === undefined || name === null) continue;
    const record = await recordByName(services, ctx, collection, String(name), nameField, idField);
    if (out[idField] !== undefined && out[idField] !== null && out[idField] !== record.id) {
      throw invalid(nameField, `'${String(name)}' is ${record.id}, but ${idField} is ${String(out[idField])}; pass only one of them`);
    }
    out[idField] = record.id;
  }
  return out;
}
