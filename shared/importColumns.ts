/**
 * What an import's columns can be (SPEC §3 Import), shared by the server's import (which maps and
 * converts) and the app's import page (which offers the same targets and auto-maps headers the
 * same way before it uploads): the entity's writable standard fields, its custom fields
 * (`custom.<key>`), references given by name (`organization`, `stage`, …) and the owner's email.
 */
import { COLLECTIONS, type CollectionName } from './collections.js';
import type { FieldDefinition } from './customFields.js';

/** A reference given by name: the field it sets and the collection it names a record of. */
export interface NameRef {
  field: string;
  collection: CollectionName;
  /** How the record is named: organizations by name, people by email (or name), deals by title, stages and pipelines by name, users by email. */
  by: string;
}

/** References by name each entity takes, by column key. */
export const NAME_REFS: Partial<Record<CollectionName, Record<string, NameRef>>> = {
  people: { organization: { field: 'organizationId', collection: 'organizations', by: 'name' } },
  deals: {
    organization: { field: 'organizationId', collection: 'organizations', by: 'name' },
    person: { field: 'primaryPersonId', collection: 'people', by: 'email or name' },
    pipeline: { field: 'pipelineId', collection: 'pipelines', by: 'name' },
    stage: { field: 'stageId', collection: 'stages', by: 'name' },
  },
  activities: {
    organization: { field: 'organizationId', collection: 'organizations', by: 'name' },
    person: { field: 'personId', collection: 'people', by: 'email or name' },
    deal: { field: 'dealId', collection: 'deals', by: 'title' },
  },
};

/** A target field of a column: a standard field, a custom field, a reference by name, or the owner's email. */
export type Target = { kind: 'standard'; key: string } | { kind: 'custom'; def: FieldDefinition } | { kind: 'ref'; key: string; ref: NameRef } | { kind: 'owner' };

export const targetKey = (t: Target): string => (t.kind === 'standard' || t.kind === 'ref' ? t.key : t.kind === 'custom' ? `custom.${t.def.key}` : 'owner');

/** A header or field name compared without case, spaces or punctuation (`Expected close date` = `expectedCloseDate`). */
export const normalizeHeader = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
/** "expectedCloseDate" → "expected close date". */
const words = (key: string) => key.replace(/([A-Z])/g, ' $1').toLowerCase();

/** The standard fields a create or update of the collection takes (a custom object's type comes from the import). */
export function standardFields(collection: CollectionName): string[] {
  const info = COLLECTIONS[collection];
  const keys = new Set([...Object.keys(info.create?.shape ?? {}), ...Object.keys(info.update?.shape ?? {})]);
  for (const k of ['custom', 'type', 'completed', 'stages']) keys.delete(k);
  return [...keys];
}

/** Record fields a write never sets (server-managed, derived, computed): an export's columns an import leaves out. */
export function readOnlyFields(collection: CollectionName): string[] {
  const writable = new Set(standardFields(collection));
  return Object.keys(COLLECTIONS[collection].record.shape).filter((k) => !writable.has(k) && k !== 'custom');
}

/** Every target of an import into the collection, with the names a header may use for it. */
export function targets(collection: CollectionName, custom: FieldDefinition[]): { target: Target; names: string[] }[] {
  const out: { target: Target; names: string[] }[] = [];
  for (const key of standardFields(collection)) out.push({ target: { kind: 'standard', key }, names: [key, words(key)] });
  for (const [key, ref] of Object.entries(NAME_REFS[collection] ?? {})) out.push({ target: { kind: 'ref', key, ref }, names: [key] });
  if (standardFields(collection).includes('ownerId')) out.push({ target: { kind: 'owner' }, names: ['owner', 'owner email'] });
  for (const def of custom) if (!def.archivedAt) out.push({ target: { kind: 'custom', def }, names: [`custom.${def.key}`, def.key, def.label] });
  return out;
}

/** The target a header (or a mapping's choice) names: a key or label, or a custom field's key without `custom.`. */
export function targetLookup(all: { target: Target; names: string[] }[]): (name: string) => Target | undefined {
  const byName = new Map<string, Target>();
  for (const { target, names } of all) for (const name of names) if (!byName.has(normalizeHeader(name))) byName.set(normalizeHeader(name), target);
  return (name) => byName.get(normalizeHeader(name)) ?? (name.startsWith('custom.') ? undefined : byName.get(normalizeHeader(`custom.${name}`)));
}

const DELIMITERS = [',', ';', '\t', '|'];

/** The delimiter of a header line: the candidate that occurs most often outside quotes (comma on a tie or none). */
export function sniffDelimiter(firstLine: string): string {
  const counts = new Map(DELIMITERS.map((c) => [c, 0]));
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const c of DELIMITERS) if (counts.get(c)! > counts.get(best)!) best = c;
  return best;
}
