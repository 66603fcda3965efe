/**
 * Imports (SPEC §3): validate a file into a session (per row the planned outcome and the errors by
 * column), then commit its rows through the record service — the one write path, so rules, custom
 * fields, audit, webhooks and automations apply as to any write, and every audit entry carries the
 * import's id as `operationId`.
 *
 * A commit is durable: it writes rows in chunks, each chunk's records, the rows' `committed` marks
 * and the session's progress in one transaction, under a short lease the running process renews.
 * A process that dies mid-commit leaves the lease to expire; the next server process (or this one's
 * worker) claims the session and resumes at the first unmarked row, so a commit ends with every
 * row written once — never with some of them lost or written twice.
 */
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
import { CUSTOMIZABLE, ENTITY_ALIASES, type FieldDefinition } from '../../../shared/customFields.js';
import { newId } from '../../../shared/ids.js';
import { requiredRole } from '../../../shared/permissions.js';
import { customValues, domainFromWebsite, parseCreate, parseUpdate, prepareCreate, prepareUpdate, RuleError, validateRecord, type RuleContext } from '../../../shared/rules.js';
import { jsonScalar } from '../../store/dialect.js';
import { SqlRecordReader } from '../../store/reader.js';
import type { AnyRecord, Row } from '../../store/records.js';
import { findWorkspace } from '../accounts/workspaces.js';
import { nowIso, requireWrite, type Ctx } from '../context.js';
import { badCursor, conflict, DomainError, parseInput, ValidationError, type FieldError } from '../errors.js';
import { Pump } from '../pump.js';
import type { RecordService } from '../records.js';
import { changedFields } from '../records/scope.js';
import { readOnlyFields, targetKey, targets, type NameRef, type Target } from '../../../shared/importColumns.js';
import { convert, ImportOptions, isBlank, mapColumns } from './columns.js';
import { readCsv } from './csv.js';
import { PlanReader } from './reader.js';

export const OUTCOMES = ['create', 'update', 'skip', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const IMPORT_STATES = ['validating', 'validated', 'committing', 'committed', 'failed'] as const;

/** Rows written per commit transaction. */
const CHUNK = 500;
/** How long a commit's claim lasts without a chunk renewing it (ms). */
const LEASE_MS = 5000;
const EXPIRY_MS = 24 * 3600 * 1000;

export const RowError = z.object({ column: z.string(), message: z.string() });
export const ImportSession = z.object({
  id: z.string(),
  entity: z.string().describe('organizations, people, deals, activities or a custom object type key'),
  mode: z.enum(['create', 'update', 'upsert']),
  match: z.string(),
  state: z.enum(IMPORT_STATES),
  counts: z.object({ create: z.number().int(), update: z.number().int(), skip: z.number().int(), error: z.number().int() }),
  progress: z.object({ done: z.number().int(), total: z.number().int() }).describe('Rows written of the rows the commit writes (create and update)'),
  rows: z.number().int().describe('Data rows in the file'),
  organizations: z.object({ create: z.number().int(), names: z.array(z.string()) }).describe('Organizations named in rows that do not exist: created by the commit (reported apart)'),
  columns: z.array(z.object({ column: z.string(), field: z.string().nullable() })),
  commit: z.enum(['valid', 'all']).nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  committedAt: z.string().nullable(),
});
export type ImportSession = z.infer<typeof ImportSession>;
export const ImportRow = z.object({
  row: z.number().int().describe('1-based data row of the file (the header is not counted)'),
  outcome: z.enum(OUTCOMES),
  record: z.record(z.string(), z.unknown()).nullable().describe("create/update: the values written (id: the record); skip: the matched record id; error: the row's cells by column"),
  errors: z.array(RowError),
  committed: z.boolean(),
});
export const ImportRowsQuery = z.strictObject({
  outcome: z.enum(OUTCOMES, { error: `must be one of ${OUTCOMES.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().optional(),
  workspace: z.string().optional(),
});
export const CommitBody = z.strictObject({
  rows: z.enum(['valid', 'all'], { error: 'must be valid or all' }).optional().describe('valid (default): the rows without errors; all: nothing unless every row is valid'),
});

interface Plan {
  collection: CollectionName;
  type: string | null;
  headers: string[];
  columns: (string | null)[];
  planned: Record<string, string>;
}

interface PlannedRow {
  row: number;
  outcome: Outcome;
  targetId: string | null;
  input: Row;
  errors: { column: string; message: string }[];
}

type Source = { csv: Readable | string; delimiter?: string } | { rows: Row[] };

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const norm = (s: unknown) => String(s).trim().toLowerCase();

export class ImportService {
  private readonly running = new Map<string, Promise<void>>();
  private pump: Pump | null = null;
  private stopping = false;
  /** The clock (tests). */
  now: () => number = Date.now;

  constructor(private readonly records: RecordService) {}

  private get db() {
    return this.records.store.db;
  }

  // ------------------------------------------------------------------ validation

  /** The collection (and custom object type) an import's `entity` names. */
  private async entityOf(ctx: Ctx, entity: string): Promise<{ collection: CollectionName; type: string | null }> {
    const name = ENTITY_ALIASES[entity] ?? entity;
    if ((CUSTOMIZABLE as readonly string[]).includes(name)) return { collection: name as CollectionName, type: null };
    const types = await new SqlRecordReader(this.db, ctx.workspaceId).objectTypes();
    const type = types.find((t) => t.key === entity && !t.archivedAt);
    if (type) return { collection: 'records', type: type.key };
    throw new ValidationError([
      { path: 'entity', message: `must be organizations, people, deals, activities${types.length ? `, or a custom object type: ${types.map((t) => t.key).join(', ')}` : ''} (got '${entity}')` },
    ]);
  }

  /** Validates a file into a new session (POST /crm/imports). */
  async validate(ctx: Ctx, input: unknown, source: Source): Promise<ImportSession> {
    const options = parseInput(ImportOptions, input);
    const { collection, type } = await this.entityOf(ctx, options.entity);
    requireWrite(ctx, requiredRole(collection, 'create') ?? 'OWNER', `import ${COLLECTIONS[collection].label}s`);
    await this.sweep(ctx);
    const reader = new PlanReader(new SqlRecordReader(this.db, ctx.workspaceId, this.records.store), new Map());
    const custom = (await reader.customFields(type ?? collection)).filter((d) => !d.archivedAt);
    const match = options.match ?? (collection === 'people' ? 'email' : collection === 'organizations' ? 'domain' : 'none');
    const mode = options.mode ?? 'create';
    const matchDef = custom.find((d) => d.key === match || `custom.${d.key}` === match);
    const matches = ['none', 'id', ...(collection === 'people' ? ['email'] : []), ...(collection === 'organizations' ? ['domain'] : [])];
    if (!matches.includes(match) && !matchDef) {
      throw new ValidationError([
        { path: 'match', message: `must be one of ${matches.join(', ')} or a custom field key of this entity${custom.length ? ` (${custom.map((d) => d.key).join(', ')})` : ''}` },
      ]);
    }
    if (mode !== 'create' && match === 'none')
      throw new ValidationError([{ path: 'match', message: `mode ${mode} needs a match (${matches.filter((m) => m !== 'none').join(', ')} or a custom field key)` }]);

    const id = newId();
    const createdAt = nowIso();
    const planner = new Planner(this, ctx, collection, type, reader, custom, match, matchDef ?? null, mode, options.createMissing !== false);
    await planner.loadMatchIndex();
    await this.db
      .insertInto('imports')
      .values({
        id,
        workspaceId: ctx.workspaceId,
        entity: type ?? collection,
        type,
        mode,
        match,
        state: 'validating',
        total: 0,
        counts: JSON.stringify({ create: 0, update: 0, skip: 0, error: 0 }),
        actor: JSON.stringify({ userId: ctx.userId, keyId: ctx.keyId, role: ctx.role, source: ctx.source }),
        createdAt,
        expiresAt: new Date(this.now() + EXPIRY_MS).toISOString(),
      })
      .execute();
    let buffer: PlannedRow[] = [];
    const flush = async () => {
      await yieldToEventLoop();
      if (buffer.length === 0) return;
      const rows = buffer;
      buffer = [];
      await this.db.transaction().execute(async (tx) => {
        for (let i = 0; i < rows.length; i += 100) {
          await tx
            .insertInto('importRows')
            .values(
              rows.slice(i, i + 100).map((r) => ({
                importId: id,
                row: r.row,
                outcome: r.outcome,
                targetId: r.targetId,
                input: JSON.stringify(r.input),
                errors: r.errors.length ? JSON.stringify(r.errors) : null,
              })),
            )
            .execute();
        }
        await tx
          .updateTable('imports')
          .set({ total: rows[rows.length - 1].row })
          .where('id', '=', id)
          .execute();
      });
    };
    let headers: string[] = [];
    const onHeader = (h: string[]) => {
      headers = h;
      planner.setColumns(h, options.mapping);
    };
    const onRow = async (raw: Row, index: number) => {
      buffer.push(await planner.plan(raw, index));
      if (buffer.length >= 1000) await flush();
    };
    try {
      if ('rows' in source) {
        const list = z.array(z.record(z.string(), z.unknown()), { error: 'must be an array of objects (one per row, by column)' }).max(100_000).safeParse(source.rows);
        if (!list.success) throw new ValidationError([{ path: 'rows', message: list.error.issues[0].message }]);
        const keys = new Set<string>();
        for (const r of list.data) for (const k of Object.keys(r)) keys.add(k);
        onHeader([...keys]);
        for (let i = 0; i < list.data.length; i++) await onRow(list.data[i], i + 1);
      } else {
        headers = await readCsv(source.csv, onHeader, onRow, source.delimiter);
      }
      await flush();
    } catch (error) {
      await this.db.deleteFrom('imports').where('id', '=', id).execute();
      throw error;
    }
    const plan: Plan = { collection, type, headers, columns: planner.columnKeys(), planned: Object.fromEntries([...planner.plannedOrgs.values()].map((o) => [o.id, o.name])) };
    await this.db
      .updateTable('imports')
      .set({ state: 'validated', total: planner.total, counts: JSON.stringify(planner.counts), plan: JSON.stringify(plan) })
      .where('id', '=', id)
      .execute();
    return this.get(ctx, id);
  }

  // ------------------------------------------------------------------ sessions

  private async load(ctx: Ctx, id: string): Promise<Row> {
    const row = await this.db.selectFrom('imports').selectAll().where('id', '=', id).where('workspaceId', '=', ctx.workspaceId).executeTakeFirst();
    if (!row || (row.state !== 'committing' && Date.parse(row.expiresAt as string) < this.now())) throw new DomainError('not_found', `import ${id} not found (sessions expire 24 h after validation)`);
    return row;
  }

  private toSession(row: Row): ImportSession {
    const counts = JSON.parse(row.counts as string) as ImportSession['counts'];
    const plan = JSON.parse(row.plan as string) as Partial<Plan>;
    const planned = Object.values(plan.planned ?? {});
    return {
      id: row.id as string,
      entity: row.entity as string,
      mode: row.mode as ImportSession['mode'],
      match: row.match as string,
      state: row.state as ImportSession['state'],
      counts,
      progress: { done: Number(row.done), total: counts.create + counts.update },
      rows: Number(row.total),
      organizations: { create: planned.length, names: planned.slice(0, 20) },
      columns: (plan.headers ?? []).map((column, i) => ({ column, field: plan.columns?.[i] ?? null })),
      commit: (row.rowsMode as ImportSession['commit']) ?? null,
      error: (row.error as string | null) ?? null,
      createdAt: row.createdAt as string,
      expiresAt: row.expiresAt as string,
      committedAt: (row.committedAt as string | null) ?? null,
    };
  }

  /** A session: counts, state and progress (GET /crm/imports/:id). */
  async get(ctx: Ctx, id: string): Promise<ImportSession> {
    return this.toSession(await this.load(ctx, id));
  }

  /** A page of a session's rows, in file order, optionally of one outcome. */
  async rows(ctx: Ctx, id: string, input: unknown): Promise<{ data: z.infer<typeof ImportRow>[]; nextCursor: string | null }> {
    const query = parseInput(ImportRowsQuery, input);
    await this.load(ctx, id);
    const limit = query.limit ?? 50;
    let q = this.db.selectFrom('importRows').selectAll().where('importId', '=', id);
    if (query.outcome) q = q.where('outcome', '=', query.outcome);
    if (query.cursor !== undefined) {
      if (!/^\d{1,9}$/.test(query.cursor)) throw badCursor();
      q = q.where('row', '>', Number(query.cursor));
    }
    const rows = await q
      .orderBy('row')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit).map((r) => {
      const input = r.input ? (JSON.parse(r.input as string) as Row) : null;
      const record = r.outcome === 'skip' ? { id: r.targetId } : r.outcome === 'update' ? { id: r.targetId, ...input } : input;
      return {
        row: Number(r.row),
        outcome: r.outcome as Outcome,
        record,
        errors: r.errors ? (JSON.parse(r.errors as string) as { column: string; message: string }[]) : [],
        committed: r.committed === 1,
      };
    });
    return { data: page, nextCursor: rows.length > limit ? String(page[page.length - 1].row) : null };
  }

  /** Removes the workspace's expired sessions (not one being committed). */
  private async sweep(ctx: Ctx): Promise<void> {
    await this.db.deleteFrom('imports').where('workspaceId', '=', ctx.workspaceId).where('expiresAt', '<', new Date(this.now()).toISOString()).where('state', '!=', 'committing').execute();
  }

  // ------------------------------------------------------------------ commit

  /**
   * Starts committing a validated session (POST /crm/imports/:id/commit) and answers it in state
   * `committing`; GET /crm/imports/:id reports the progress. `all` refuses (409, nothing written)
   * while any row is in error.
   */
  async commit(ctx: Ctx, id: string, input: unknown): Promise<ImportSession> {
    const { rows = 'valid' } = parseInput(CommitBody, input);
    const row = await this.load(ctx, id);
    const plan = JSON.parse(row.plan as string) as Plan;
    requireWrite(ctx, requiredRole(plan.collection, 'create') ?? 'OWNER', `import ${COLLECTIONS[plan.collection].label}s`);
    if (row.state !== 'validated') throw conflict(`import ${id} is ${row.state as string}; only a validated import can be committed`, { state: row.state });
    const counts = JSON.parse(row.counts as string) as ImportSession['counts'];
    if (rows === 'all' && counts.error > 0) {
      const bad = await this.db.selectFrom('importRows').select('row').where('importId', '=', id).where('outcome', '=', 'error').orderBy('row').limit(10).execute();
      throw new DomainError(
        'conflict',
        `${counts.error} row${counts.error > 1 ? 's are' : ' is'} in error (rows ${bad.map((r) => r.row).join(', ')}${counts.error > 10 ? ', …' : ''}); nothing was written. Fix the file and validate again, or commit rows: valid`,
        [],
        { errorRows: counts.error },
      );
    }
    const claimed = await this.db
      .updateTable('imports')
      .set({ state: 'committing', rowsMode: rows, leaseUntil: this.now() + LEASE_MS })
      .where('id', '=', id)
      .where('state', '=', 'validated')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw conflict(`import ${id} is already being committed`);
    this.start(id, ctx);
    return this.get(ctx, id);
  }

  private start(id: string, ctx: Ctx): void {
    const run = this.run(id, ctx)
      .catch(async (error: Error) => {
        await this.db
          .updateTable('imports')
          .set({ state: 'failed', error: error.message, leaseUntil: null })
          .where('id', '=', id)
          .execute()
          .catch(() => undefined);
      })
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  /** Waits for a commit this process runs (tests, the MCP tool). */
  async settle(id: string, timeoutMs = Infinity): Promise<void> {
    const run = this.running.get(id);
    if (!run) return;
    await Promise.race([run, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  /** Writes the session's unmarked rows chunk by chunk; returns when every row is written (or the commit failed). */
  private async run(id: string, ctx: Ctx): Promise<void> {
    const session = await this.db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const plan = JSON.parse(session.plan as string) as Plan;
    const opCtx: Ctx = { ...ctx, operationId: id };
    const planned = new Map(Object.entries(plan.planned));
    // rows before `after` are written (keyset: each chunk's query starts where the last one ended)
    let after = 0;
    for (;;) {
      // SQLite answers synchronously: let other requests (progress reads among them) in between chunks
      await yieldToEventLoop();
      // a stopping server leaves the rest to the next process (its lease runs out, the worker there resumes)
      if (this.stopping) return;
      const rows = await this.db
        .selectFrom('importRows')
        .select(['row', 'outcome', 'targetId', 'input'])
        .where('importId', '=', id)
        .where('outcome', 'in', ['create', 'update'])
        .where('row', '>', after)
        .where('committed', '=', 0)
        .orderBy('row')
        .limit(CHUNK)
        .execute();
      if (rows.length === 0) break;
      let current = 0;
      try {
        await this.records.transaction(opCtx, async (s) => {
          const organizations = new Set<string>();
          for (const r of rows) {
            current = Number(r.row);
            const input = JSON.parse(r.input as string) as Row;
            for (const field of ['organizationId']) {
              const orgId = input[field] as string | undefined;
              if (orgId && planned.has(orgId) && !organizations.has(orgId)) {
                await this.records.create(opCtx, 'organizations', { id: orgId, name: planned.get(orgId) }, s);
                organizations.add(orgId);
              }
            }
            if (r.outcome === 'create') await this.records.create(opCtx, plan.collection, plan.type ? { ...input, type: plan.type } : input, s);
            else await this.records.update(opCtx, plan.collection, r.targetId as string, input, {}, s);
          }
          current = 0;
          await s.tx
            .updateTable('importRows')
            .set({ committed: 1 })
            .where('importId', '=', id)
            .where(
              'row',
              'in',
              rows.map((r) => r.row),
            )
            .execute();
          await s.tx
            .updateTable('imports')
            .set({ done: sql`"done" + ${rows.length}`, leaseUntil: this.now() + LEASE_MS })
            .where('id', '=', id)
            .execute();
        });
        after = Number(rows[rows.length - 1].row);
      } catch (error) {
        if (!current || !(error instanceof DomainError || error instanceof RuleError)) throw error;
        const message = error.message;
        const fresh = await this.db.selectFrom('imports').select(['rowsMode', 'counts']).where('id', '=', id).executeTakeFirstOrThrow();
        if (fresh.rowsMode === 'all') {
          throw new Error(`row ${current} was refused when written (the data changed since validation): ${message}; rows before it are written`, { cause: error });
        }
        // rows: valid — the row is reported in error and the chunk is written without it
        const failed = rows.find((r) => Number(r.row) === current)!;
        const counts = JSON.parse(fresh.counts as string) as ImportSession['counts'];
        counts[failed.outcome as 'create' | 'update']--;
        counts.error++;
        const errors = (error.errors.length ? error.errors : [{ path: '', message }]).map((e: FieldError) => ({ column: e.path || '(row)', message: e.message }));
        await this.db.transaction().execute(async (tx) => {
          await tx
            .updateTable('importRows')
            .set({ outcome: 'error', errors: JSON.stringify(errors) })
            .where('importId', '=', id)
            .where('row', '=', current)
            .execute();
          await tx
            .updateTable('imports')
            .set({ counts: JSON.stringify(counts) })
            .where('id', '=', id)
            .execute();
        });
      }
    }
    await this.db.updateTable('imports').set({ state: 'committed', committedAt: nowIso(), leaseUntil: null }).where('id', '=', id).execute();
  }

  /** Claims commits whose process is gone (lease expired) and resumes them. */
  async resumeOrphans(): Promise<void> {
    const orphans = await this.db.selectFrom('imports').select(['id', 'workspaceId', 'actor']).where('state', '=', 'committing').where('leaseUntil', '<', this.now()).execute();
    for (const orphan of orphans) {
      if (this.running.has(orphan.id)) continue;
      const claimed = await this.db
        .updateTable('imports')
        .set({ leaseUntil: this.now() + LEASE_MS })
        .where('id', '=', orphan.id)
        .where('state', '=', 'committing')
        .where('leaseUntil', '<', this.now())
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      const workspace = await findWorkspace(this.db, orphan.workspaceId);
      if (!workspace) continue;
      const actor = JSON.parse(orphan.actor) as { userId: string | null; keyId: string | null; role: Ctx['role']; source: Ctx['source'] };
      this.start(orphan.id, { workspace, workspaceId: workspace.id, userId: actor.userId, keyId: actor.keyId, role: actor.role, readOnly: false, source: actor.source });
    }
  }

  /** The running server's worker: resumes commits a dead process left (checked at start and every second). */
  startWorker(log?: (line: string) => void): void {
    this.pump = new Pump(() => this.resumeOrphans(), { feed: null, pollMs: 1000, name: 'imports', log });
    this.pump.start();
  }

  async stopWorker(): Promise<void> {
    this.stopping = true;
    await this.pump?.stop();
    await Promise.all([...this.running.values()]);
  }

  /** The rule context a validation runs with (the record service's, over the plan's reader). */
  ruleContext(ctx: Ctx, reader: PlanReader): RuleContext {
    return { reader, workspaceId: ctx.workspaceId, defaultCurrency: ctx.workspace.defaultCurrency, actorId: ctx.userId, now: nowIso };
  }

  get database() {
    return this.db;
  }
}

/** Plans the rows of one validation: maps cells to fields, resolves names, matches, and runs the record rules without writing. */
class Planner {
  readonly counts = { create: 0, update: 0, skip: 0, error: 0 };
  total = 0;
  readonly plannedOrgs = new Map<string, { id: string; name: string }>();
  private headers: string[] = [];
  private columns: (Target | null)[] = [];
  private readonly matchIndex = new Map<string, string[]>();
  private readonly seen = new Map<string, number>();
  private readonly names = new Map<string, Promise<Map<string, string[]>>>();
  private readonly rules: RuleContext;

  constructor(
    private readonly service: ImportService,
    private readonly ctx: Ctx,
    private readonly collection: CollectionName,
    private readonly type: string | null,
    private readonly reader: PlanReader,
    private readonly custom: FieldDefinition[],
    private readonly match: string,
    private readonly matchDef: FieldDefinition | null,
    private readonly mode: 'create' | 'update' | 'upsert',
    private readonly createMissing: boolean,
  ) {
    this.rules = service.ruleContext(ctx, reader);
  }

  private get db() {
    return this.service.database;
  }

  private live(collection: CollectionName) {
    let q = this.db.selectFrom(collection).where('workspaceId', '=', this.ctx.workspaceId).where('deleted', '=', 0);
    if (collection === 'records' && this.type) q = q.where('type', '=', this.type);
    return q;
  }

  /** Existing records by match key, read once. */
  async loadMatchIndex(): Promise<void> {
    if (this.match === 'none' || this.match === 'id') return;
    const expr = this.matchDef ? sql<string>`${jsonScalar(this.db, 'custom', `$.${this.matchDef.key}`)}` : sql<string>`${sql.ref(this.match)}`;
    const rows = await this.live(this.collection)
      .select(['id', expr.as('k')])
      .execute();
    for (const r of rows) {
      if (r.k == null) continue;
      const key = norm(r.k);
      const list = this.matchIndex.get(key);
      if (list) list.push(r.id);
      else this.matchIndex.set(key, [r.id]);
    }
  }

  setColumns(headers: string[], mapping: Record<string, string | null> | undefined): void {
    const mapped = mapColumns(headers, mapping, targets(this.collection, this.custom), readOnlyFields(this.collection));
    if (mapped.errors.length) throw new ValidationError(mapped.errors);
    this.headers = headers;
    this.columns = mapped.columns;
  }

  columnKeys(): (string | null)[] {
    return this.columns.map((t) => (t ? targetKey(t) : null));
  }

  /** The column a field error is about: the column mapped to the field (or to its reference by name), else the field's own name. */
  private columnOf(path: string): string {
    const field = path
      .split('.')
      .slice(0, path.startsWith('custom.') ? 2 : 1)
      .join('.');
    const i = this.columns.findIndex((t) => t && (targetKey(t) === field || (t.kind === 'ref' && t.ref.field === field) || (t.kind === 'owner' && field === 'ownerId')));
    return i >= 0 ? this.headers[i] : field;
  }

  private nameIndex(collection: CollectionName, by: string): Promise<Map<string, string[]>> {
    const key = `${collection}:${by}`;
    let index = this.names.get(key);
    if (!index) {
      index = (async () => {
        const map = new Map<string, string[]>();
        const add = (k: unknown, id: string) => {
          if (k == null) return;
          const n = norm(k);
          const list = map.get(n);
          if (list && !list.includes(id)) list.push(id);
          else if (!list) map.set(n, [id]);
        };
        if (collection === 'people') {
          for (const r of await this.db.selectFrom('people').select(['id', 'email', 'name']).where('workspaceId', '=', this.ctx.workspaceId).where('deleted', '=', 0).execute()) {
            add(r.email, r.id);
            add(r.name, r.id);
          }
        } else if (collection === 'organizations' || collection === 'deals') {
          const col = collection === 'deals' ? 'title' : 'name';
          for (const r of await this.db
            .selectFrom(collection)
            .select(['id', `${col} as n`])
            .where('workspaceId', '=', this.ctx.workspaceId)
            .where('deleted', '=', 0)
            .execute())
            add(r.n, r.id);
        } else if (collection === 'pipelines') {
          for (const p of await this.reader.pipelines()) add(p.name, p.id);
        }
        return map;
      })();
      this.names.set(key, index);
    }
    return index;
  }

  private async members(): Promise<Map<string, string[]>> {
    let index = this.names.get('members');
    if (!index) {
      index = (async () => {
        const rows = await this.db
          .selectFrom('memberships')
          .innerJoin('users', 'users.id', 'memberships.userId')
          .select(['users.id', 'users.email'])
          .where('memberships.workspaceId', '=', this.ctx.workspaceId)
          .execute();
        return new Map(rows.map((r) => [norm(r.email), [r.id as string]]));
      })();
      this.names.set('members', index);
    }
    return index;
  }

  /** The id of the record a name refers to, or an error message. */
  private async resolve(key: string, ref: NameRef, value: string, input: Row): Promise<string | { error: string }> {
    const label = COLLECTIONS[ref.collection].label;
    if (ref.collection === 'stages') {
      const pipelines = await this.reader.pipelines();
      const pipelineId = input.pipelineId as string | undefined;
      const candidates = pipelineId ? pipelines.filter((p) => p.id === pipelineId) : [...pipelines].sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
      const found: { id: string; pipeline: string }[] = [];
      for (const p of candidates) for (const s of await this.reader.stagesOf(p.id)) if (norm(s.name) === norm(value)) found.push({ id: s.id, pipeline: p.name });
      if (found.length === 1 || (found.length > 1 && !pipelineId && candidates[0]?.isDefault && found[0].pipeline === candidates[0].name)) return found[0].id;
      if (found.length > 1) return { error: `stage '${value}' is in several pipelines (${found.map((f) => f.pipeline).join(', ')}); add a pipeline column` };
      const where = pipelineId ? candidates[0] : candidates[0];
      const stages = where ? (await this.reader.stagesOf(where.id)).map((s) => s.name) : [];
      return { error: `no stage named '${value}'${where ? ` in pipeline '${where.name}'; its stages are ${stages.join(', ')}` : ''}` };
    }
    const index = await this.nameIndex(ref.collection, ref.by);
    const ids = index.get(norm(value)) ?? [];
    if (ids.length === 1) return ids[0];
    if (ids.length > 1) return { error: `${ids.length} ${label === 'person' ? 'people' : `${label}s`} are named '${value}'; give the id in ${ref.field} instead` };
    if (ref.collection === 'organizations' && this.createMissing) {
      let planned = this.plannedOrgs.get(norm(value));
      if (!planned) {
        planned = { id: newId(), name: value.trim() };
        this.plannedOrgs.set(norm(value), planned);
        this.reader.planned.set(planned.id, { id: planned.id, name: planned.name, workspaceId: this.ctx.workspaceId });
      }
      return planned.id;
    }
    void key;
    return { error: `no ${label} ${ref.by === 'name' ? 'named' : 'with the ' + ref.by} '${value}' in this workspace` };
  }

  private fieldErrors(error: unknown): { column: string; message: string }[] {
    if (error instanceof RuleError || error instanceof DomainError)
      return (error.errors.length ? error.errors : [{ path: '', message: error.message }]).map((e) => ({ column: this.columnOf(e.path), message: e.message }));
    throw error;
  }

  async plan(raw: Row, index: number): Promise<PlannedRow> {
    this.total = index;
    const errors: { column: string; message: string }[] = [];
    const input: Row = {};
    const custom: Row = {};
    const refs: { header: string; key: string; ref: NameRef; value: string }[] = [];
    let owner: { header: string; value: string } | null = null;
    this.headers.forEach((header, i) => {
      const target = this.columns[i];
      const value = raw[header];
      if (!target || isBlank(value)) return;
      const converted = convert(target, value, this.ctx.workspace.defaultCurrency);
      if ('error' in converted) return void errors.push({ column: header, message: converted.error });
      if (target.kind === 'standard') input[target.key] = converted.value;
      else if (target.kind === 'custom') custom[target.def.key] = converted.value;
      else if (target.kind === 'ref') refs.push({ header, key: target.key, ref: target.ref, value: String(converted.value) });
      else owner = { header, value: String(converted.value) };
    });
    // pipeline before stage: a stage is looked up in the row's pipeline
    refs.sort((a, b) => (a.key === 'pipeline' ? -1 : b.key === 'pipeline' ? 1 : 0));
    for (const r of refs) {
      const id = await this.resolve(r.key, r.ref, r.value, input);
      if (typeof id === 'string') input[r.ref.field] = id;
      else errors.push({ column: r.header, message: id.error });
    }
    if (owner) {
      const o = owner as { header: string; value: string };
      const ids = (await this.members()).get(norm(o.value));
      if (ids) input.ownerId = ids[0];
      else errors.push({ column: o.header, message: `no member with the email '${o.value}' in this workspace` });
    }
    if (Object.keys(custom).length) input.custom = custom;

    // matching, and duplicates within the file
    let targetId: string | null = null;
    let key: string | null = null;
    const matchColumn = this.columnOf(this.matchDef ? `custom.${this.matchDef.key}` : this.match === 'domain' ? 'website' : this.match);
    if (this.match === 'id') key = input.id ? String(input.id) : null;
    else if (this.match === 'email') key = input.email ? norm(input.email) : null;
    else if (this.match === 'domain') key = domainFromWebsite(input.website);
    else if (this.matchDef) key = custom[this.matchDef.key] != null ? norm(custom[this.matchDef.key]) : null;
    const dupKey = key ?? (this.match === 'none' ? JSON.stringify(this.headers.map((h) => raw[h] ?? null)) : null);
    if (dupKey !== null) {
      const first = this.seen.get(dupKey);
      if (first !== undefined)
        errors.push({ column: key !== null ? matchColumn : '(row)', message: `duplicates row ${first}${key !== null ? ` (same ${this.match === 'domain' ? 'domain' : this.match}: ${key})` : ''}` });
      else this.seen.set(dupKey, index);
    }
    if (key !== null) {
      if (this.match === 'id') {
        const found = await this.reader.find(this.collection, key);
        if (found && (!this.type || (found as Row).type === this.type)) targetId = key;
      } else {
        const ids = this.matchIndex.get(key) ?? [];
        if (ids.length > 1) errors.push({ column: matchColumn, message: `${ids.length} existing records match ${key}; match by id instead` });
        else if (ids.length === 1) targetId = ids[0];
      }
    } else if (this.mode === 'update') errors.push({ column: matchColumn, message: `is needed to find the record to update (match: ${this.match})` });

    let outcome: Outcome = targetId ? (this.mode === 'create' ? 'skip' : 'update') : this.mode === 'update' ? 'error' : 'create';
    if (!targetId && this.mode === 'update' && key !== null) errors.push({ column: matchColumn, message: `no ${COLLECTIONS[this.collection].label} with ${this.match} ${key} to update` });

    // the record rules, as the commit will run them (nothing is written)
    if (outcome === 'create') {
      const data = { ...input };
      if (this.match !== 'id' || !data.id) data.id = newId();
      if (this.type) data.type = this.type;
      try {
        const parsed = parseCreate(this.collection, data);
        const record = await prepareCreate(this.rules, this.collection, parsed);
        await validateRecord(this.rules, this.collection, record, null);
      } catch (error) {
        errors.push(...this.fieldErrors(error).filter((e) => !errors.some((x) => x.column === e.column)));
        if (input.custom && error instanceof RuleError && !error.errors.some((e) => e.path.startsWith('custom.'))) {
          try {
            await customValues(this.rules, this.collection, input.custom, null, this.type);
          } catch (customError) {
            errors.push(...this.fieldErrors(customError).filter((e) => !errors.some((x) => x.column === e.column)));
          }
        }
      }
      delete data.type;
      Object.assign(input, { id: data.id });
    } else if (outcome === 'update') {
      const patch = { ...input };
      delete patch.id;
      try {
        this.reader.forget(this.collection, targetId!);
        const before = (await this.reader.find(this.collection, targetId!)) as unknown as AnyRecord;
        const parsed = parseUpdate(this.collection, patch, nowIso());
        const next = await prepareUpdate(this.rules, this.collection, before, parsed);
        if (changedFields(before, next).length === 0) outcome = 'skip';
        else await validateRecord(this.rules, this.collection, next, before);
      } catch (error) {
        errors.push(...this.fieldErrors(error).filter((e) => !errors.some((x) => x.column === e.column)));
      }
      if (outcome === 'update') {
        delete input.id;
      }
    }
    if (errors.length) outcome = 'error';
    this.counts[outcome]++;
    // a row in error keeps its cells by column, as the file has them (the report shows them beside the errors)
    if (outcome === 'error') return { row: index, outcome, targetId, input: Object.fromEntries(this.headers.filter((h) => !isBlank(raw[h])).map((h) => [h, raw[h]])), errors };
    return { row: index, outcome, targetId, input, errors };
  }
}
