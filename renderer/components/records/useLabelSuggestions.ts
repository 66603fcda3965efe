/** Labels already used on a collection, for the label inputs' suggestions. */
import { useMemo } from 'react';
import { useCollectionRows } from './useCollectionRows.js';
import type { CollectionName } from '../../data/index.js';

export function useLabelSuggestions(collection: CollectionName): string[] {
  const { data } = useCollectionRows<{ labels?: string[] | null }>(collection);
  return useMemo(() => {
    const set = new Set<string>();
    for (const r of data) for (const l of r.labels ?? []) set.add(l);
    return [...set].sort((a, b) => a.localeCompare(b));
  }, [data]);
}
