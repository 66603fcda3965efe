/**
 * A searchable deal picker fed from the local store: deals are searched by title as you type
 * (a limited query, never all of them), like the organization/person pickers in components/pickers.
 */
import { Select, type SelectProps } from '@mantine/core';
import { useMemo, useState } from 'react';
import type { DealRecord } from '../../../shared/schemas.js';
import { useRxDoc, useRxQuery } from '../../hooks/useRx.js';
import { escapeRegex } from '../pickers.js';

type PickerProps = Omit<SelectProps, 'data' | 'value' | 'onChange' | 'searchable' | 'searchValue' | 'onSearchChange' | 'filter'> & {
  value: string | null;
  onChange: (id: string | null) => void;
};

export function DealSelect({ value, onChange, ...rest }: PickerProps) {
  const [search, setSearch] = useState('');
  const [term, setTerm] = useState('');
  const selected = useRxDoc<DealRecord>('deals', value);
  const query = useMemo(() => ({ selector: { archivedAt: null, ...(term.trim() ? { title: { $regex: escapeRegex(term.trim()), $options: 'i' } } : {}) }, limit: 40 }), [term]);
  const { data } = useRxQuery<DealRecord>('deals', query);
  const options = useMemo(() => {
    const rows = [...data].sort((a, b) => a.title.localeCompare(b.title));
    if (selected.doc && !rows.some((r) => r.id === selected.doc!.id)) rows.unshift(selected.doc);
    return rows.map((r) => ({ value: r.id, label: r.title }));
  }, [data, selected.doc]);
  const selectedLabel = options.find((o) => o.value === value)?.label;
  return (
    <Select
      searchable
      clearable
      placeholder="Search deals"
      nothingFoundMessage="No match"
      {...rest}
      data={options}
      value={value}
      onChange={(v) => onChange(v || null)}
      searchValue={search}
      onSearchChange={(s) => {
        setSearch(s);
        setTerm(s === selectedLabel ? '' : s);
      }}
      filter={({ options: o }) => o}
    />
  );
}
