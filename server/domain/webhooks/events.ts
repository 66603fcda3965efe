/**
 * Which webhook events a change is (SPEC §3): every audited change of a record is
 * `<entity>.created|updated|archived|restored|deleted|merged`; a deal's stage move is also
 * `deal.stage_changed`, its move to won or lost `deal.won` / `deal.lost`; an activity's completion
 * `activity.completed`. Custom object records are `record.*` with their `type`. Refusals and
 * conflicts (`rejected`, `conflict` audit entries) change nothing and are no events; neither are
 * the server's own bookkeeping records (stage changes) nor schema definitions.
 */
import { EVENT_ENTITIES, EVENT_VERB } from '../../../shared/events.js';
import type { AuditAction } from '../audit.js';

type Row = Record<string, unknown>;

const EVENTFUL = new Set(EVENT_ENTITIES);

export interface ChangeEvent {
  type: string;
  /** Custom object records: the object type's key. */
  objectType?: string;
  data: { record: Row | null; previous: Row | null; changedFields: string[] };
}

/** The events one audited change raises, in the order a receiver should see them. */
export function eventsOfChange(entry: { entityType: string; action: AuditAction; before?: Row | null; after?: Row | null; changedFields?: string[] }): ChangeEvent[] {
  const verb = EVENT_VERB[entry.action];
  if (!verb || !EVENTFUL.has(entry.entityType)) return [];
  const before = entry.before ?? null;
  const after = entry.after ?? null;
  const data = { record: after ?? before, previous: entry.action === 'create' ? null : before, changedFields: entry.changedFields ?? [] };
  const isRecord = entry.entityType === 'record';
  const objectType = isRecord ? String((after ?? before)?.type ?? '') || undefined : undefined;
  const events: ChangeEvent[] = [{ type: `${entry.entityType}.${verb}`, ...(objectType ? { objectType } : {}), data }];
  if (entry.entityType === 'deal' && after && (entry.action === 'update' || entry.action === 'create')) {
    if (before && before.stageId !== after.stageId) events.push({ type: 'deal.stage_changed', data });
    if (after.status !== before?.status && (after.status === 'won' || after.status === 'lost')) events.push({ type: `deal.${after.status}`, data });
  }
  if (entry.entityType === 'activity' && after && after.completedAt != null && before?.completedAt == null && entry.action !== 'delete') {
    events.push({ type: 'activity.completed', data });
  }
  return events;
}
