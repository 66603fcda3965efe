/**
 * The workspace's custom field definitions and object types, live from the local store (the
 * replicated `fields` and `objectTypes` collections): a definition an owner adds, reorders or
 * archives elsewhere shows here as soon as it syncs. Archived definitions are left out (their
 * values stay on the records); the rest are in `position` order.
 */
import { useMemo } from 'react';
import type { FieldDefinition } from '../../../shared/customFields.js';
import type { CollectionName } from '../../../shared/collections.js';
import { useRxQuery } from '../../hooks/useRx.js';

export type { FieldDefinition };

export interface ObjectType {
  id: string;
  key: string;
  singular: string;
  plural: string;
  icon: string | null;
  archivedAt: string | null;
}

const byPosition = (a: FieldDefinition, b: FieldDefinition) => a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The live (not archived) custom fields of `entity` (a collection name or an object type key), in order. */
export function useCustomFields(entity: string | null): { fields: FieldDefinition[]; loading: boolean } {
  const { data, loading } = useRxQuery<FieldDefinition>('fields', entity ? { selector: { entity } } : null);
  const fields = useMemo(() => data.filter((f) => !f.archivedAt).sort(byPosition), [data]);
  return { fields, loading };
}

/** The live custom object types, by plural name. */
export function useObjectTypes(): { types: ObjectType[]; loading: boolean } {
  const { data, loading } = useRxQuery<ObjectType>('objectTypes', { selector: {} });
  const types = useMemo(() => data.filter((t) => !t.archivedAt).sort((a, b) => a.plural.localeCompare(b.plural)), [data]);
  return { types, loading };
}

const STANDARD: Record<string, { collection: CollectionName; labelField: string; path: string; noun: string }> = {
  organizations: { collection: 'organizations', labelField: 'name', path: '/organizations', noun: 'organization' },
  people: { collection: 'people', labelField: 'name', path: '/people', noun: 'person' },
  deals: { collection: 'deals', labelField: 'title', path: '/deals', noun: 'deal' },
  activities: { collection: 'activities', labelField: 'subject', path: '/activities', noun: 'activity' },
};

/** Where the records a reference field points to live: a standard collection, or `records` of an object type. */
export function referenceTarget(referenceTo: string | null): { collection: CollectionName; labelField: string; type: string | null; hrefOf: (id: string) => string | null; noun: string } {
  const standard = referenceTo ? STANDARD[referenceTo] : undefined;
  if (standard) return { ...standard, type: null, hrefOf: (id) => (standard.collection === 'activities' ? null : `${standard.path}/${id}`) };
  return { collection: 'records', labelField: 'name', type: referenceTo, hrefOf: (id) => `/objects/${referenceTo}/${id}`, noun: referenceTo ?? 'record' };
}
