/**
 * The event types of Kith's records (SPEC §3), for webhook subscriptions, automation triggers and
 * the settings that pick them: every record change is `<entity>.created|updated|archived|restored|
 * deleted|merged`, plus `deal.stage_changed`, `deal.won`, `deal.lost` and `activity.completed`.
 * Custom object records are `record.*` (with their `type` in the event). Which audited change
 * raises which events is server/domain/webhooks/events.ts.
 */
import { COLLECTION_NAMES, COLLECTIONS } from './collections.js';

/** The event verb of each audit action that is one. */
export const EVENT_VERB: Readonly<Record<string, string>> = {
  create: 'created',
  update: 'updated',
  archive: 'archived',
  restore: 'restored',
  delete: 'deleted',
  merge: 'merged',
};

/** Entity types whose changes are not events: bookkeeping, the data model's definitions, and saved views (a UI setting). */
const SILENT = new Set(['stageChange', 'field', 'objectType', 'view']);

/** The entities whose changes are events: the registry's records and custom object records (accounts, keys, invites are not). */
export const EVENT_ENTITIES: readonly string[] = [...new Set([...COLLECTION_NAMES.map((c) => COLLECTIONS[c].entityType).filter((t) => !SILENT.has(t)), 'record'])];

/** The event types of every entity: for validating an endpoint's subscription. */
export function eventTypesOf(entityTypes: readonly string[]): string[] {
  const out: string[] = [];
  for (const entity of entityTypes) if (!SILENT.has(entity)) for (const verb of Object.values(EVENT_VERB)) out.push(`${entity}.${verb}`);
  out.push('deal.stage_changed', 'deal.won', 'deal.lost', 'activity.completed');
  return out;
}

/** Every event type (besides `*` and `<entity>.*`). */
export const EVENT_TYPES: readonly string[] = eventTypesOf(EVENT_ENTITIES);
