/**
 * Automations of a workspace (SPEC §3), for owners: define (checked by definition.ts), list,
 * change, delete, run by hand on a record, read the runs; and the step secrets, which are written
 * and listed by name but never read back. Runs are queued by queue.ts and run by dispatcher.ts.
 */
import { z } from 'zod';
import { newId } from '../../../shared/ids.js';
import { Id } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import type { RecordService } from '../records.js';
import { nowIso, requireWrite, roleAtLeast, type Ctx } from '../context.js';
import { forbidden, invalid, notFound, parseInput } from '../errors.js';
import type { TargetPolicy } from '../webhooks/targets.js';
import { AutomationCreate, AutomationUpdate, checkAutomation, FieldCatalog, SECRET_NAME, subjectOf, type AutomationDefinition, type Trigger } from './definition.js';
import { dueDay, meets, runRow } from './queue.js';
import type { StepResult } from './dispatcher.js';

export const RunQuery = z.strictObject({
  state: z.enum(['pending', 'succeeded', 'failed', 'skipped']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  workspace: z.string().optional(),
});
export const ManualRun = z.strictObject({ recordId: Id.describe('The record to run the automation on (of the entity its trigger is about)') });
export const SecretValue = z.strictObject({ value: z.string().min(1, 'must not be empty').max(8000) });

export interface Automation extends AutomationDefinition {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export interface AutomationRun {
  id: string;
  automationId: string;
  trigger: 'event' | 'schedule' | 'manual';
  eventType: string | null;
  recordId: string;
  depth: number;
  state: 'pending' | 'succeeded' | 'failed' | 'skipped';
  steps: StepResult[];
  attempts: number;
  nextAttemptAt: string | null;
  note: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface SecretInfo {
  name: string;
  createdAt: string;
  updatedAt: string;
}

function toAutomation(row: Record<string, any>): Automation {
  return {
    id: row.id,
    name: row.name,
    active: row.active === 1,
    trigger: JSON.parse(row.trigger),
    conditions: JSON.parse(row.conditions),
    steps: JSON.parse(row.steps),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toRun(row: Record<string, any>): AutomationRun {
  return {
    id: row.id,
    automationId: row.automationId,
    trigger: row.trigger,
    eventType: row.eventType ?? null,
    recordId: row.recordId,
    depth: row.depth,
    state: row.state,
    steps: JSON.parse(row.steps),
    attempts: row.attempts,
    nextAttemptAt: row.state === 'pending' ? new Date(row.nextAttemptAt).toISOString() : null,
    note: row.note ?? null,
    error: row.error ?? null,
    createdAt: row.createdAt,
    startedAt: row.startedAt ?? null,
    finishedAt: row.finishedAt ?? null,
  };
}

export class AutomationService {
  /** The clock (epoch ms) schedules and manual runs use; the running server sets the dispatcher's. */
  now: () => number = Date.now;
  /** Called after a change that gives the dispatcher work; set by the running server. */
  wake: () => void = () => {};
  /** Runs what is due and resolves when nothing is (tests); set by the running server. */
  settle: () => Promise<void> = async () => {};

  constructor(
    private readonly records: RecordService,
    readonly policy: TargetPolicy,
  ) {}

  private get db(): Db {
    return this.records.store.db;
  }

  private owner(ctx: Ctx, what: string): void {
    requireWrite(ctx, 'OWNER', what);
  }

  private ownerRead(ctx: Ctx, what: string): void {
    if (!roleAtLeast(ctx, 'OWNER')) throw forbidden(`Your role ${ctx.role} cannot ${what} (needs OWNER)`);
  }

  private async row(ctx: Ctx, id: string): Promise<Record<string, any>> {
    const row = Id.safeParse(id).success ? await this.db.selectFrom('automations').selectAll().where('workspaceId', '=', ctx.workspaceId).where('id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw notFound('automation', id);
    return row;
  }

  /** A daily trigger whose time already passed today starts tomorrow (the day it was last due counts as done). */
  private scheduledDay(trigger: Trigger, previous: string | null): string | null {
    if (!('schedule' in trigger)) return null;
    const today = dueDay(trigger, this.now());
    return today && (previous === null || previous < today) ? today : previous;
  }

  async list(ctx: Ctx): Promise<{ data: Automation[] }> {
    this.ownerRead(ctx, 'see automations');
    const rows = await this.db.selectFrom('automations').selectAll().where('workspaceId', '=', ctx.workspaceId).orderBy('createdAt').orderBy('id').execute();
    return { data: rows.map(toAutomation) };
  }

  async get(ctx: Ctx, id: string): Promise<Automation> {
    this.ownerRead(ctx, 'see automations');
    return toAutomation(await this.row(ctx, id));
  }

  async create(ctx: Ctx, input: unknown): Promise<Automation> {
    this.owner(ctx, 'create automations');
    const definition = await checkAutomation(this.db, ctx, parseInput(AutomationCreate, input), this.policy);
    const now = nowIso();
    const row = {
      id: newId(),
      workspaceId: ctx.workspaceId,
      name: definition.name,
      active: definition.active ? 1 : 0,
      triggerKind: 'schedule' in definition.trigger ? 'schedule' : 'event',
      trigger: JSON.stringify(definition.trigger),
      conditions: JSON.stringify(definition.conditions),
      steps: JSON.stringify(definition.steps),
      createdBy: ctx.userId,
      lastScheduledDay: this.scheduledDay(definition.trigger, null),
      createdAt: now,
      updatedAt: now,
    };
    await this.db.insertInto('automations').values(row).execute();
    return toAutomation(row);
  }

  /** Changes an automation; the result is checked as a whole (a new trigger re-checks the conditions and steps). */
  async update(ctx: Ctx, id: string, input: unknown): Promise<Automation> {
    this.owner(ctx, 'change automations');
    const patch = parseInput(AutomationUpdate, input);
    const current = await this.row(ctx, id);
    const merged = { ...toAutomation(current), ...patch };
    const definition = await checkAutomation(
      this.db,
      ctx,
      { name: merged.name, active: merged.active, trigger: merged.trigger as never, conditions: merged.conditions as never, steps: merged.steps as never },
      this.policy,
    );
    await this.db
      .updateTable('automations')
      .set({
        name: definition.name,
        active: definition.active ? 1 : 0,
        triggerKind: 'schedule' in definition.trigger ? 'schedule' : 'event',
        trigger: JSON.stringify(definition.trigger),
        conditions: JSON.stringify(definition.conditions),
        steps: JSON.stringify(definition.steps),
        lastScheduledDay: this.scheduledDay(definition.trigger, current.lastScheduledDay ?? null),
        updatedAt: nowIso(),
      })
      .where('id', '=', id)
      .execute();
    return toAutomation(await this.row(ctx, id));
  }

  /** Deletes an automation and its runs (pending ones are not run). */
  async remove(ctx: Ctx, id: string): Promise<void> {
    this.owner(ctx, 'delete automations');
    await this.row(ctx, id);
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('automationRuns').where('automationId', '=', id).execute();
      await tx.deleteFrom('automations').where('id', '=', id).execute();
    });
  }

  /** The runs, newest first, each with its steps' results. */
  async runs(ctx: Ctx, id: string, input: unknown): Promise<{ data: AutomationRun[] }> {
    this.ownerRead(ctx, 'see automation runs');
    const query = parseInput(RunQuery, input);
    await this.row(ctx, id);
    let q = this.db.selectFrom('automationRuns').selectAll().where('automationId', '=', id);
    if (query.state) q = q.where('state', '=', query.state);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(query.limit ?? 50)
      .execute();
    return { data: rows.map(toRun) };
  }

  /**
   * Runs the automation on a record now (also an inactive one: to try it out). The run is queued
   * and answered pending; when the record does not meet the conditions (`changed` ones aside) it
   * is recorded `skipped`, saying so.
   */
  async runNow(ctx: Ctx, id: string, input: unknown): Promise<AutomationRun> {
    this.owner(ctx, 'run automations');
    const { recordId } = parseInput(ManualRun, input);
    const automation = toAutomation(await this.row(ctx, id));
    const subject = subjectOf(automation.trigger);
    const record = await this.records.find(this.db, ctx, subject.collection, recordId);
    if (!record || (subject.objectType && record.type !== subject.objectType))
      throw invalid('recordId', `no ${subject.objectType ?? subject.entity} ${recordId} in this workspace (this automation is about ${subject.objectType ?? subject.entity} records)`);
    const conditions = automation.conditions.filter((c) => !('changed' in c));
    const now = this.now();
    const ok = await meets(this.db, ctx.workspaceId, FieldCatalog.of(this.db, ctx), subject, conditions, record, null, now);
    const row = runRow({ workspaceId: ctx.workspaceId, automationId: id, trigger: 'manual', collection: subject.collection, payload: { event: null, record, previous: null }, depth: 1, now });
    if (!ok) Object.assign(row, { state: 'skipped', note: 'the record does not meet the conditions; nothing was done', finishedAt: new Date(now).toISOString() });
    await this.db.insertInto('automationRuns').values(row).execute();
    this.wake();
    return toRun({ ...row, state: row.state ?? 'pending', steps: '[]', attempts: 0 });
  }

  // ------------------------------------------------------------------ secrets

  async secrets(ctx: Ctx): Promise<{ data: SecretInfo[] }> {
    this.ownerRead(ctx, 'see automation secrets');
    const rows = await this.db.selectFrom('automationSecrets').select(['name', 'createdAt', 'updatedAt']).where('workspaceId', '=', ctx.workspaceId).orderBy('name').execute();
    return { data: rows as SecretInfo[] };
  }

  /** Sets a secret (new or replaced); the value is never answered, here or anywhere. */
  async putSecret(ctx: Ctx, name: string, input: unknown): Promise<SecretInfo> {
    this.owner(ctx, 'set automation secrets');
    if (!SECRET_NAME.test(name)) throw invalid('name', 'must be a secret name: a lowercase letter, then lowercase letters, digits or _ (at most 63)');
    const { value } = parseInput(SecretValue, input);
    const now = nowIso();
    await this.db
      .insertInto('automationSecrets')
      .values({ workspaceId: ctx.workspaceId, name, value, createdAt: now, updatedAt: now })
      .onConflict((oc) => oc.columns(['workspaceId', 'name']).doUpdateSet({ value, updatedAt: now }))
      .execute();
    const row = await this.db.selectFrom('automationSecrets').select(['name', 'createdAt', 'updatedAt']).where('workspaceId', '=', ctx.workspaceId).where('name', '=', name).executeTakeFirstOrThrow();
    return row as SecretInfo;
  }

  async removeSecret(ctx: Ctx, name: string): Promise<void> {
    this.owner(ctx, 'delete automation secrets');
    const deleted = await this.db.deleteFrom('automationSecrets').where('workspaceId', '=', ctx.workspaceId).where('name', '=', name).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw notFound('automation secret', name);
  }
}
