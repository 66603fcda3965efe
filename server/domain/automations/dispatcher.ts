/**
 * Runs the automation queue (queue.ts) while the server runs: claims each due run (several
 * processes may run this; a claim is a conditional update with a lease), runs its steps in order
 * from where it stopped, and records each step's result on the run. Each step that writes is one
 * transaction through the domain services (audit source `automation`) together with the run's
 * progress, so a crash repeats no step and loses none. An `http_request` that fails (another
 * status than 2xx, no answer, a refused address) leaves the run pending and is retried like a
 * webhook delivery (../webhooks/backoff.ts) for 24 h, then the run fails; any other failing step
 * fails the run at once. Daily schedules are claimed here too (queue.ts `claimSchedule`).
 */
import { COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
import { newId } from '../../../shared/ids.js';
import { skipLocked } from '../../store/dialect.js';
import type { Row } from '../../store/records.js';
import type { ChangeFeed } from '../../store/store.js';
import { findWorkspace } from '../accounts/workspaces.js';
import type { Ctx } from '../context.js';
import { DomainError } from '../errors.js';
import { Pump } from '../pump.js';
import type { RecordService } from '../records.js';
import type { WriteScope } from '../records/scope.js';
import { nextAttemptAt } from '../webhooks/backoff.js';
import type { EventPayload } from '../webhooks/outbox.js';
import { send } from '../webhooks/send.js';
import { resolveTarget, type Lookup, type TargetPolicy } from '../webhooks/targets.js';
import { activityLink, type Step } from './definition.js';
import { claimSchedule, dueDay, type RunPayload } from './queue.js';
import { render, type Json } from './template.js';

export interface AutomationDispatcherOptions {
  policy: TargetPolicy;
  /** Epoch milliseconds (injectable in tests: schedules, retries, "due in N days"). */
  now?: () => number;
  random?: () => number;
  lookup?: Lookup;
  pollMs?: number;
  timeoutMs?: number;
  /** Called after a step queued a webhook delivery. */
  wakeWebhooks?: () => void;
  log?: (line: string) => void;
}

/** How long a claimed run is this process's before another may take it over (a crashed process). */
const LEASE_MS = 10 * 60_000;
const RUNS_AT_ONCE = 4;

export interface StepResult {
  index: number;
  type: string;
  status: 'ok' | 'failed' | 'retrying';
  /** What the step did: the fields it set, the record it created, the HTTP status it got. */
  result?: Record<string, unknown>;
  error?: string;
  attempts?: number;
  notes?: string[];
}

interface RunRow {
  seq: number;
  id: string;
  workspaceId: string;
  automationId: string;
  collection: CollectionName;
  recordId: string;
  payload: string;
  depth: number;
  stepIndex: number;
  steps: string;
  response: string | null;
  attempts: number;
  firstAttemptAt: number | null;
  nextAttemptAt: number;
}

class StepFailure extends Error {}

export class AutomationDispatcher {
  private readonly pump: Pump;

  constructor(
    private readonly records: RecordService,
    feed: ChangeFeed | null,
    private readonly options: AutomationDispatcherOptions,
  ) {
    this.pump = new Pump(() => this.pass(), { feed, pollMs: options.pollMs ?? 1000, name: 'automations', log: options.log });
  }

  private get db() {
    return this.records.store.db;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  start(): void {
    this.pump.start();
  }

  stop(): Promise<void> {
    return this.pump.stop();
  }

  kick(): void {
    this.pump.kick();
  }

  /** Runs what is due now and waits until nothing is (tests). */
  async settle(): Promise<void> {
    await this.pump.idle();
    this.pump.kick();
    await this.pump.idle();
  }

  private async pass(): Promise<void> {
    await this.claimSchedules();
    for (let round = 0; round < 100 && !this.pump.stopped; round++) {
      const now = this.now();
      const due = (await this.db
        .selectFrom('automationRuns')
        .selectAll()
        .where('state', '=', 'pending')
        .where('nextAttemptAt', '<=', now)
        .where((eb) => eb.or([eb('claimedUntil', 'is', null), eb('claimedUntil', '<', now)]))
        .orderBy('seq')
        .limit(50)
        .execute()) as RunRow[];
      if (due.length === 0) return;
      // a record's runs one after another, in order; different records' side by side
      const byRecord = new Map<string, RunRow[]>();
      for (const run of due) byRecord.set(run.recordId, [...(byRecord.get(run.recordId) ?? []), run]);
      const lanes = [...byRecord.values()];
      for (let i = 0; i < lanes.length && !this.pump.stopped; i += RUNS_AT_ONCE) {
        await Promise.all(
          lanes.slice(i, i + RUNS_AT_ONCE).map(async (lane) => {
            for (const run of lane) if (!this.pump.stopped && (await this.claim(run))) await this.execute(run);
          }),
        );
      }
    }
  }

  private async claimSchedules(): Promise<void> {
    const now = this.now();
    const scheduled = await this.db
      .selectFrom('automations')
      .select(['id', 'workspaceId', 'trigger', 'conditions', 'createdBy', 'lastScheduledDay'])
      .where('active', '=', 1)
      .where('triggerKind', '=', 'schedule')
      .execute();
    for (const automation of scheduled) {
      // not due yet today, or today's run claimed already: nothing to do (the claim itself is checked in the database)
      const day = dueDay(JSON.parse(automation.trigger), now);
      if (!day || (automation.lastScheduledDay !== null && automation.lastScheduledDay >= day)) continue;
      try {
        const ctx = await this.ctxOf(automation.workspaceId, automation.createdBy, null);
        if (ctx) await claimSchedule(this.db, ctx, automation, now);
      } catch (error) {
        this.options.log?.(`automations: schedule of ${automation.id}: ${(error as Error).message}`);
      }
    }
  }

  private async claim(run: RunRow): Promise<boolean> {
    const now = this.now();
    // several processes: the run is claimed by one (a lease), and a run another is claiming is skipped, not waited for
    const claimable = this.db
      .selectFrom('automationRuns')
      .select('id')
      .where('id', '=', run.id)
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('claimedUntil', 'is', null), eb('claimedUntil', '<', now)]));
    const claimed = await this.db
      .updateTable('automationRuns')
      .set({ claimedUntil: now + LEASE_MS, startedAt: new Date(now).toISOString() })
      .where('id', 'in', skipLocked(this.db, claimable))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }

  /** The context a run acts in: its automation's author as an owner of the workspace, source `automation`. */
  private async ctxOf(workspaceId: string, userId: string | null, run: RunRow | null, automationId = ''): Promise<Ctx | null> {
    const workspace = await findWorkspace(this.db, workspaceId);
    if (!workspace) return null;
    return {
      workspace,
      workspaceId,
      userId,
      keyId: null,
      role: 'OWNER',
      readOnly: false,
      source: 'automation',
      ...(run ? { automation: { automationId, runId: run.id, depth: run.depth, notes: [] } } : {}),
    };
  }

  private async finish(run: RunRow, patch: Row, tx = this.db): Promise<void> {
    await tx.updateTable('automationRuns').set(patch).where('id', '=', run.id).execute();
  }

  /** Runs a claimed run's steps from where it stopped, recording each result. */
  private async execute(run: RunRow): Promise<void> {
    const steps = JSON.parse(run.steps) as StepResult[];
    const stamp = () => new Date(this.now()).toISOString();
    const automation = await this.db.selectFrom('automations').selectAll().where('id', '=', run.automationId).executeTakeFirst();
    if (!automation) return this.finish(run, { state: 'failed', error: 'the automation was deleted', finishedAt: stamp(), claimedUntil: null });
    const ctx = await this.ctxOf(run.workspaceId, automation.createdBy, run, automation.id);
    if (!ctx) return this.finish(run, { state: 'failed', error: 'the workspace no longer exists', finishedAt: stamp(), claimedUntil: null });
    const definition = JSON.parse(automation.steps) as Step[];
    const payload = JSON.parse(run.payload) as RunPayload;
    let response: Json = run.response ? (JSON.parse(run.response) as Json) : null;
    for (let index = run.stepIndex; index < definition.length; index++) {
      ctx.automation!.notes = [];
      const template = definition[index];
      const scope = await this.scope(ctx, run, payload, response, JSON.stringify(template).includes('{{secret.'));
      const step = render(template as unknown as Json, scope) as unknown as Step;
      try {
        if (step.type === 'http_request') {
          const outcome = await this.http(ctx, run, step, index, steps);
          if (outcome === 'retry') return;
          response = outcome;
          continue;
        }
        await this.records.transaction(ctx, async (s) => {
          const result = await this.local(s, run, step, scope.record as Row);
          steps[index] = { index, type: step.type, status: 'ok', result, ...(ctx.automation!.notes.length ? { notes: [...ctx.automation!.notes] } : {}) };
          await this.progress(s.tx, run, index, steps, response, ctx.automation!.notes);
        });
      } catch (error) {
        const message = errorText(error);
        steps[index] = { index, type: template.type, status: 'failed', error: message };
        return this.finish(run, { state: 'failed', steps: JSON.stringify(steps), stepIndex: index, error: `step ${index} (${template.type}): ${message}`, finishedAt: stamp(), claimedUntil: null });
      }
    }
    await this.finish(run, { state: 'succeeded', finishedAt: stamp(), claimedUntil: null });
  }

  /** Records a finished step (in the step's transaction) and that the run goes on with the next. */
  private async progress(tx: typeof this.db, run: RunRow, index: number, steps: StepResult[], response: Json, notes: string[]): Promise<void> {
    const patch: Row = { stepIndex: index + 1, steps: JSON.stringify(steps), response: response === null ? null : JSON.stringify(response), attempts: 0, firstAttemptAt: null };
    if (notes.length > 0) patch.note = notes.join('; ');
    await tx.updateTable('automationRuns').set(patch).where('id', '=', run.id).execute();
    run.attempts = 0;
    run.firstAttemptAt = null;
  }

  /** What placeholders read: the record as it is now (its references followed; computed fields are stored on it), the cause, secrets, the last HTTP answer. */
  private async scope(ctx: Ctx, run: RunRow, payload: RunPayload, response: Json, secrets: boolean): Promise<Record<string, unknown>> {
    const current = (await this.records.find(this.db, ctx, run.collection, run.recordId)) as Row | null;
    const record: Row = { ...(current ?? payload.record) };
    for (const [field, target] of Object.entries(COLLECTIONS[run.collection].references)) {
      const id = record[field];
      if (typeof id === 'string') record[field.replace(/Id$/, '')] = (await this.records.find(this.db, ctx, target, id)) ?? null;
    }
    const scope: Record<string, unknown> = {
      record,
      previous: payload.previous,
      event: payload.event,
      response,
    };
    if (secrets) {
      const rows = await this.db.selectFrom('automationSecrets').select(['name', 'value']).where('workspaceId', '=', ctx.workspaceId).execute();
      scope.secret = Object.fromEntries(rows.map((r) => [r.name, r.value]));
    }
    return scope;
  }

  /** A step that writes through the domain services, in the run's transaction scope `s`. */
  private async local(s: WriteScope, run: RunRow, step: Step, record: Row): Promise<Record<string, unknown>> {
    const { ctx } = s;
    const set = (patch: Row) => this.records.update(ctx, run.collection, run.recordId, patch, {}, s);
    switch (step.type) {
      case 'set_field': {
        await set(fieldPatch(step.field, step.value));
        return { field: step.field, value: step.value };
      }
      case 'add_label':
      case 'remove_label': {
        const labels = ((await this.records.get(ctx, run.collection, run.recordId, s.tx)).labels ?? []) as string[];
        const has = labels.includes(step.label);
        if (step.type === 'add_label' ? has : !has) return { label: step.label, changed: false };
        await set({ labels: step.type === 'add_label' ? [...labels, step.label] : labels.filter((l) => l !== step.label) });
        return { label: step.label, changed: true };
      }
      case 'create_activity': {
        const link = activityLink(run.collection)!;
        const { dueInDays, dueInHours, ...activity } = step.activity;
        const due = dueInDays !== undefined || dueInHours !== undefined ? new Date(this.now() + (dueInDays ?? 0) * 86_400_000 + (dueInHours ?? 0) * 3_600_000).toISOString() : undefined;
        // assigned to the record's owner when it has one (the activity's actor), else the automation's author
        const owner = typeof record.ownerId === 'string' ? record.ownerId : ctx.userId;
        const { record: created } = await this.records.create({ ...ctx, userId: owner }, 'activities', { ...activity, [link]: run.recordId, ...(due ? { dueAt: due } : {}) }, s);
        return { activityId: created.id, dueAt: created.dueAt ?? null, actorId: created.actorId ?? null };
      }
      case 'move_stage': {
        let stageId = step.stageId;
        if (!stageId) {
          const deal = await this.records.get(ctx, 'deals', run.recordId, s.tx);
          const stages = await s.tx.selectFrom('stages').select(['id', 'name']).where('workspaceId', '=', ctx.workspaceId).where('deleted', '=', 0).where('pipelineId', '=', deal.pipelineId).execute();
          stageId = stages.find((x) => String(x.name).toLowerCase() === String(step.stage).toLowerCase())?.id;
          if (!stageId) throw new StepFailure(`no stage named '${step.stage}' in the deal's pipeline (${stages.map((x) => x.name).join(', ')})`);
        }
        await set({ stageId });
        return { stageId };
      }
      case 'create_record': {
        const target = (Object.values(COLLECTIONS).find((c) => c.entityType === step.entity && c.name !== 'records')?.name ?? 'records') as CollectionName;
        const values = target === 'records' ? { ...step.values, type: step.entity } : step.values;
        const { record: created } = await this.records.create(ctx, target, values, s);
        return { entity: step.entity, id: created.id };
      }
      case 'send_webhook': {
        const endpoint = await s.tx.selectFrom('webhookEndpoints').select(['id', 'active']).where('workspaceId', '=', ctx.workspaceId).where('id', '=', step.endpointId).executeTakeFirst();
        if (!endpoint) throw new StepFailure(`webhook endpoint ${step.endpointId} no longer exists`);
        const now = new Date(this.now()).toISOString();
        const event: EventPayload & { automationId: string; runId: string } = {
          id: newId(),
          type: 'automation',
          occurredAt: now,
          workspaceId: ctx.workspaceId,
          automationId: run.automationId,
          runId: run.id,
          data: (step.body ?? { record, previous: JSON.parse(run.payload).previous ?? null, changedFields: JSON.parse(run.payload).event?.changedFields ?? [] }) as EventPayload['data'],
        };
        const deliveryId = newId();
        await s.tx
          .insertInto('webhookDeliveries')
          .values({
            id: deliveryId,
            workspaceId: ctx.workspaceId,
            endpointId: endpoint.id,
            eventId: event.id,
            eventType: event.type,
            payload: JSON.stringify(event),
            nextAttemptAt: Date.now(),
            createdAt: now,
          })
          .execute();
        setImmediate(() => this.options.wakeWebhooks?.());
        return { endpointId: endpoint.id, deliveryId, eventId: event.id };
      }
      default:
        throw new StepFailure(`unknown step type ${(step as { type: string }).type}`);
    }
  }

  /**
   * An HTTP step: the answer (JSON, or null) when it succeeded, its saved value written with the
   * run's progress; 'retry' when it failed and the run waits for its next try (the run is then
   * recorded pending, or failed after 24 h of failures).
   */
  private async http(ctx: Ctx, run: RunRow, step: Step & { type: 'http_request' }, index: number, steps: StepResult[]): Promise<Json | 'retry'> {
    const startedAt = this.now();
    const method = step.method ?? 'POST';
    let status: number | null = null;
    let text: string;
    try {
      const target = await resolveTarget(step.url, this.options.policy, this.options.lookup);
      const body = step.body === undefined || method === 'GET' ? '' : JSON.stringify(step.body);
      const headers: Record<string, string> = { 'user-agent': 'Kith-Automations/1', 'kith-automation-run': run.id };
      for (const [k, v] of Object.entries(step.headers ?? {})) headers[k.toLowerCase()] = String(v ?? '');
      const sent = await send(target, body, { method, headers, timeoutMs: this.options.timeoutMs, maxBody: 64 * 1024 });
      status = sent.status;
      text = sent.body;
    } catch (error) {
      text = errorText(error);
    }
    const attempts = run.attempts + 1;
    if (status !== null && status >= 200 && status < 300) {
      let answer: Json = null;
      if (text.trim() !== '') {
        try {
          answer = JSON.parse(text) as Json;
        } catch {
          if (step.saveResponse) throw new StepFailure(`HTTP ${status}: the answer is not JSON, so ${step.saveResponse.path} cannot be read from it`);
          answer = text.slice(0, 2000);
        }
      }
      const result: Record<string, unknown> = { status, attempts };
      await this.records.transaction(ctx, async (s) => {
        if (step.saveResponse) {
          const value = pathValue(answer, step.saveResponse.path);
          if (value === undefined) throw new StepFailure(`HTTP ${status}: the answer has no ${step.saveResponse.path}`);
          await this.records.update(ctx, run.collection, run.recordId, fieldPatch(step.saveResponse.field, value as Json), {}, s);
          result.saved = { field: step.saveResponse.field, value };
        }
        steps[index] = { index, type: step.type, status: 'ok', result, ...(ctx.automation!.notes.length ? { notes: [...ctx.automation!.notes] } : {}) };
        await this.progress(s.tx, run, index, steps, answer, ctx.automation!.notes);
      });
      return answer;
    }
    const error = status === null ? text : `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    const first = run.firstAttemptAt ?? startedAt;
    const next = nextAttemptAt(first, attempts, this.now(), this.options.random);
    steps[index] = { index, type: step.type, status: next === null ? 'failed' : 'retrying', error, attempts };
    const at = new Date(this.now()).toISOString();
    await this.finish(
      run,
      next === null
        ? {
            state: 'failed',
            steps: JSON.stringify(steps),
            stepIndex: index,
            attempts,
            firstAttemptAt: first,
            error: `step ${index} (http_request) failed for 24 h: ${error}`,
            finishedAt: at,
            claimedUntil: null,
          }
        : { steps: JSON.stringify(steps), stepIndex: index, attempts, firstAttemptAt: first, nextAttemptAt: next, error, claimedUntil: null },
    );
    return 'retry';
  }
}

/** The patch that sets one field (custom.<key> inside custom). */
function fieldPatch(field: string, value: Json): Row {
  return field.startsWith('custom.') ? { custom: { [field.slice('custom.'.length)]: value } } : { [field]: value };
}

function pathValue(value: Json, path: string): unknown {
  let at: unknown = value;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function errorText(error: unknown): string {
  if (error instanceof DomainError && error.errors.length > 0) return error.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  return (error as Error).message ?? String(error);
}
