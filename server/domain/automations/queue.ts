/**
 * The automation queue: runs are rows of `automationRuns`, inserted
 * - by the audit write (`enqueueAutomationRuns`, called by writeAudit beside the webhook outbox),
 *   in the same transaction as the change whose event triggers them — a committed change always
 *   gets its runs, a rolled-back one never;
 * - by a daily schedule once it is claimed (`claimSchedule`: one claim per automation and day in
 *   its time zone, an atomic update of `lastScheduledDay`, so however many processes and restarts
 *   there are, a day's records get one run each);
 * - by a manual run (service.ts).
 * The dispatcher (dispatcher.ts) runs them. Conditions are checked here, on the record as the
 * change left it, with the in-memory matcher of shared/conditions.ts; a schedule first narrows
 * the records down with the list query (server/domain/records/list.ts).
 */
import { COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
import { conditionsHold, resolveRelative, type Condition, type FieldCondition } from '../../../shared/conditions.js';
import { newId } from '../../../shared/ids.js';
import type { Db } from '../../store/database.js';
import type { Row } from '../../store/records.js';
import { memoInTransaction } from '../../store/txMemo.js';
import type { AuditInput } from '../audit.js';
import type { Ctx } from '../context.js';
import { nowIso } from '../context.js';
import { listRecords } from '../records/list.js';
import { eventsOfChange } from '../webhooks/events.js';
import { subscribed } from '../webhooks/outbox.js';
import { FieldCatalog, kindOf, MAX_DEPTH, subjectOf, type Subject, type Trigger } from './definition.js';

/** What a run knows of its cause: the event (none for a schedule or a manual run), the record then and before. */
export interface RunPayload {
  event: { id: string; type: string; occurredAt: string; changedFields: string[] } | null;
  record: Row;
  previous: Row | null;
}

export interface NewRun {
  workspaceId: string;
  automationId: string;
  trigger: 'event' | 'schedule' | 'manual';
  collection: CollectionName;
  payload: RunPayload;
  depth: number;
  now: number;
}

export function runRow(run: NewRun): Row {
  return {
    id: newId(),
    workspaceId: run.workspaceId,
    automationId: run.automationId,
    trigger: run.trigger,
    eventType: run.payload.event?.type ?? null,
    collection: run.collection,
    recordId: String(run.payload.record.id),
    payload: JSON.stringify(run.payload),
    depth: run.depth,
    nextAttemptAt: run.now,
    createdAt: new Date(run.now).toISOString(),
  };
}

/** True when the record (as given) meets the automation's conditions at `now`. */
export async function meets(db: Db, workspaceId: string, catalog: FieldCatalog, subject: Subject, conditions: Condition[], record: Row, changedFields: string[] | null, now: number): Promise<boolean> {
  if (conditions.length === 0) return true;
  const custom = conditions.some((c) => 'field' in c && c.field.startsWith('custom.')) ? await catalog.customFields(subject) : [];
  // computed fields (lastActivityAt, …) are stored on the record (server/domain/records/computed.ts)
  return conditionsHold(record, conditions, { changedFields, now, kindOf: (field) => kindOf(subject, field, custom) });
}

// ------------------------------------------------------------------ record events

/** The changed fields with `custom.<key>` for each custom value that differs (a change of custom lists only `custom`). */
function withCustomKeys(data: { record: Row | null; previous: Row | null; changedFields: string[] }): string[] {
  if (!data.changedFields.includes('custom')) return data.changedFields;
  const before = (data.previous?.custom ?? {}) as Row;
  const after = (data.record?.custom ?? {}) as Row;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null));
  return [...data.changedFields, ...keys.map((k) => `custom.${k}`)];
}

/**
 * Queues the runs an audited change triggers (called by writeAudit in the change's transaction):
 * one per active automation whose trigger names one of the change's events and whose conditions
 * the record meets. A change made by a run 3 automations deep triggers nothing more; the run that
 * made it says so (its notes).
 */
export async function enqueueAutomationRuns(tx: Db, ctx: Ctx, entry: AuditInput): Promise<void> {
  const automations = await memoInTransaction(tx, `automations:${ctx.workspaceId}`, () =>
    tx.selectFrom('automations').select(['id', 'name', 'trigger', 'conditions']).where('workspaceId', '=', ctx.workspaceId).where('active', '=', 1).where('triggerKind', '=', 'event').execute(),
  );
  if (automations.length === 0) return;
  const events = eventsOfChange(entry);
  if (events.length === 0) return;
  const depth = (ctx.automation?.depth ?? 0) + 1;
  const now = Date.now();
  const occurredAt = nowIso();
  const catalog = FieldCatalog.of(tx, ctx);
  const rows: Row[] = [];
  for (const automation of automations) {
    const trigger = JSON.parse(automation.trigger) as Trigger & { event: string };
    // one run per automation and change, for the first of its events the trigger names
    const event = events.find((e) => subscribed([trigger.event], e.type) && (!trigger.objectType || e.objectType === trigger.objectType));
    if (!event || !event.data.record) continue;
    const subject = subjectOf(trigger);
    const conditions = JSON.parse(automation.conditions) as Condition[];
    if (!(await meets(tx, ctx.workspaceId, catalog, subject, conditions, event.data.record, withCustomKeys(event.data), now))) continue;
    if (depth > MAX_DEPTH) {
      ctx.automation?.notes.push(`stopped: this change would run automation '${automation.name}' ${depth} levels deep; automations trigger each other at most ${MAX_DEPTH} levels deep`);
      continue;
    }
    const payload: RunPayload = {
      event: { id: newId(), type: event.type, occurredAt, changedFields: event.data.changedFields },
      record: event.data.record,
      previous: event.data.previous,
    };
    rows.push(runRow({ workspaceId: ctx.workspaceId, automationId: automation.id, trigger: 'event', collection: subject.collection, payload, depth, now }));
  }
  if (rows.length > 0) await tx.insertInto('automationRuns').values(rows).execute();
}

// ------------------------------------------------------------------ daily schedules

const FORMATS = new Map<string, Intl.DateTimeFormat>();
function parts(t: number, timeZone: string): Record<string, number> {
  let f = FORMATS.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    FORMATS.set(timeZone, f);
  }
  return Object.fromEntries(
    f
      .formatToParts(t)
      .filter((p) => p.type !== 'literal')
      .map((p) => [p.type, Number(p.value)]),
  );
}

/** The calendar day (YYYY-MM-DD) at `t` in the time zone. */
export function localDay(t: number, timeZone: string): string {
  const p = parts(t, timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The instant of `at` (HH:MM) on `day` in the time zone. */
export function instantOf(day: string, at: string, timeZone: string): number {
  const [y, m, d] = day.split('-').map(Number);
  const [hh, mm] = at.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const offset = (t: number) => {
    const p = parts(t, timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
  };
  const first = wall - offset(wall);
  return wall - offset(first);
}

/** The day a daily trigger last came due at `now`: today once its time has passed, else null (not today yet). */
export function dueDay(trigger: { at: string; timeZone?: string }, now: number): string | null {
  const tz = trigger.timeZone ?? 'UTC';
  const today = localDay(now, tz);
  return now >= instantOf(today, trigger.at, tz) ? today : null;
}

/**
 * The list query that narrows a schedule's records down in SQL: the conditions the list query
 * takes as they are (equality on filter fields, ranges on dates, times and numbers, a label).
 * Everything is checked again in memory, so this only has to never leave out a record that meets
 * them.
 */
function prefilter(subject: Subject, conditions: Condition[], now: number): Row {
  const info = COLLECTIONS[subject.collection];
  const query: Row = { archived: 'false', limit: '500' };
  if (subject.objectType) query.type = subject.objectType;
  for (const c of conditions as FieldCondition[]) {
    if (!('field' in c) || c.field.startsWith('custom.') || !(c.field in info.record.shape)) continue;
    const op = c.op ?? 'eq';
    const kind = kindOf(subject, c.field, []);
    if (op === 'eq' && info.filterFields.includes(c.field) && c.value !== null) query[c.field] = Array.isArray(c.value) ? c.value.map(String) : String(c.value);
    else if (op === 'eq' && kind === 'labels' && typeof c.value === 'string') query.label = c.value;
    else if (['gt', 'gte', 'lt', 'lte'].includes(op) && (kind === 'date' || kind === 'datetime' || kind === 'number')) query[`${c.field}[${op}]`] = String(resolveRelative(c.value, kind, now));
  }
  return query;
}

/**
 * Claims today's run of a daily automation and queues a run for each record that meets its
 * conditions, in one transaction; false when it is not due or already claimed (by this process
 * earlier, or another).
 */
export async function claimSchedule(db: Db, ctx: Ctx, automation: { id: string; trigger: string; conditions: string }, now: number): Promise<number | false> {
  const trigger = JSON.parse(automation.trigger) as Trigger & { at: string; timeZone?: string };
  const day = dueDay(trigger, now);
  if (!day) return false;
  return db.transaction().execute(async (tx) => {
    const claimed = await tx
      .updateTable('automations')
      .set({ lastScheduledDay: day })
      .where('id', '=', automation.id)
      .where('active', '=', 1)
      .where((eb) => eb.or([eb('lastScheduledDay', 'is', null), eb('lastScheduledDay', '<', day)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return false;
    const subject = subjectOf(trigger);
    const conditions = JSON.parse(automation.conditions) as Condition[];
    const catalog = FieldCatalog.of(tx, ctx);
    const custom = await catalog.customFields(subject);
    const query = prefilter(subject, conditions, now);
    let queued = 0;
    for (let cursor: string | null = null; ;) {
      const page = await listRecords(tx, ctx, subject.collection, cursor ? { ...query, cursor } : query);
      const records = page.data.map((r) => ({ ...r }) as Row);
      const rows = records
        .filter((r) => conditionsHold(r, conditions, { changedFields: null, now, kindOf: (field) => kindOf(subject, field, custom) }))
        .map((record) =>
          runRow({ workspaceId: ctx.workspaceId, automationId: automation.id, trigger: 'schedule', collection: subject.collection, payload: { event: null, record, previous: null }, depth: 1, now }),
        );
      for (let i = 0; i < rows.length; i += 200)
        await tx
          .insertInto('automationRuns')
          .values(rows.slice(i, i + 200))
          .execute();
      queued += rows.length;
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    return queued;
  });
}
