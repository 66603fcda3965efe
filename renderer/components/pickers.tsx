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

type PickedCollection = 'organizations' | 'people' | 'deals';
type Named = { id: string } & Record<string, unknown>;

function useRecordOptions(collection: PickedCollection, labelField: string, search: string, value: string | null | undefined, describe: (r: any) => string | undefined) {
  const selected = useRxDoc<Named>(collection, value ?? null);
  const term = search.trim();
  const query = useMemo(() => ({ selector: { archivedAt: null, ...(term ? { [labelField]: { $regex: escapeRegex(term), $options: 'i' } } : {}) }, limit: 40 }), [term, labelField]);
  const { data } = useRxQuery<Named>(collection, query);
  return useMemo(() => {
    const label = (r: Named) => String(r[labelField] ?? '');
    const rows = [...data].sort((a, b) => label(a).localeCompare(label(b)));
    if (selected.doc && !rows.some((r) => r.id === selected.doc!.id)) rows.unshift(selected.doc);
    return rows.map((r) => ({ value: r.id, label: label(r), description: describe(r) }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, selected.doc, labelField]);
}

/** A searchable picker over one collection of the local store (a limited query per keystroke). */
export function RecordPicker({
  collection,
  labelField = 'name',
  value,
  onChange,
  describe,
  ...rest
}: PickerProps & { collection: PickedCollection; labelField?: string; describe: (r: any) => string | undefined }) {
  const [search, setSearch] = useState('');
  const [term, setTerm] = useState('');
  const options = useRecordOptions(collection, labelField, term, value, describe);
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
