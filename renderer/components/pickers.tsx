/**
 * Pickers over the local store: organizations and people are searched as you type (never all
 * loaded, so they stay fast with 100,000 people); members come from the workspace.
 */
import { useMemo, useState } from 'react';
import { Select, type SelectProps } from '@mantine/core';
import type { OrganizationRecord, PersonRecord } from '../../shared/schemas.js';
import { useRxDoc, useRxQuery } from '../hooks/useRx.js';
import { useMembers } from '../hooks/useMembers.js';

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type PickerProps = Omit<SelectProps, 'data' | 'value' | 'onChange' | 'searchable' | 'searchValue' | 'onSearchChange' | 'filter'> & {
  value?: string | null;
  onChange(value: string | null): void;
};

function useRecordOptions(collection: 'organizations' | 'people', search: string, value: string | null | undefined, describe: (r: any) => string | undefined) {
  const selected = useRxDoc<{ id: string; name: string }>(collection, value ?? null);
  const term = search.trim();
  const query = useMemo(
    () => ({ selector: { archivedAt: null, ...(term ? { name: { $regex: escapeRegex(term), $options: 'i' } } : {}) }, limit: 40 }),
    [term],
  );
  const { data } = useRxQuery<{ id: string; name: string }>(collection, query);
  return useMemo(() => {
    const rows = [...data].sort((a, b) => a.name.localeCompare(b.name));
    if (selected.doc && !rows.some((r) => r.id === selected.doc!.id)) rows.unshift(selected.doc);
    return rows.map((r) => ({ value: r.id, label: r.name, description: describe(r) }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, selected.doc]);
}

function RecordPicker({ collection, value, onChange, describe, ...rest }: PickerProps & { collection: 'organizations' | 'people'; describe: (r: any) => string | undefined }) {
  const [search, setSearch] = useState('');
  const [term, setTerm] = useState('');
  const options = useRecordOptions(collection, term, value, describe);
  const selectedLabel = options.find((o) => o.value === value)?.label;
  return (
    <Select
      searchable
      clearable
      nothingFoundMessage="No match"
      {...rest}
      data={options.map(({ value: v, label }) => ({ value: v, label }))}
      value={value ?? null}
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

export function OrganizationSelect(props: PickerProps) {
  return <RecordPicker collection="organizations" describe={(r: OrganizationRecord) => r.domain ?? undefined} placeholder="Search organizations" {...props} />;
}

export function PersonSelect(props: PickerProps) {
  return <RecordPicker collection="people" describe={(r: PersonRecord) => r.email ?? undefined} placeholder="Search people" {...props} />;
}

export function MemberSelect({ value, onChange, ...rest }: PickerProps) {
  const { members } = useMembers();
  const data = members.map((m) => ({ value: m.id, label: m.name || m.email }));
  if (value && !data.some((d) => d.value === value)) data.unshift({ value, label: 'Unknown user' });
  return <Select clearable placeholder="Nobody" {...rest} data={data} value={value ?? null} onChange={(v) => onChange(v || null)} />;
}
