/**
 * Names of a handful of related records (people, organizations, deals) by id, from one live
 * query per collection — not one subscription per row.
 */
import { useMemo } from 'react';
import { useRxQuery } from '../../hooks/useRx.js';
import type { CollectionName } from '../../data/index.js';

export function useRecordNames(collection: CollectionName, ids: readonly (string | null | undefined)[]): Map<string, string> {
  const unique = useMemo(() => [...new Set(ids.filter((x): x is string => !!x))].sort(), [ids]);
  const query = useMemo(() => (unique.length > 0 ? { selector: { id: { $in: unique } } } : null), [unique]);
  const { data } = useRxQuery<Record<string, unknown>>(collection, query);
  return useMemo(() => {
    const field = collection === 'deals' ? 'title' : 'name';
    return new Map(data.map((r) => [String(r.id), String(r[field] ?? '')]));
  }, [data, collection]);
}
