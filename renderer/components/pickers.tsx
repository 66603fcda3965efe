/**
 * Pickers over the local store: organizations and people are searched as you type (never all
 * loaded, so they stay fast with 100,000 people); members come from the workspace. Options show
 * what tells two records apart (a person's email and organization, an organization's domain); the
 * person picker lists the chosen organization's people first; "+ Create “…”" adds the record in
 * place (for whoever may create it) and picks it.
 */
import { useMemo, useState } from 'react';
import { Group, Select, Stack, Text, type ComboboxItem, type ComboboxItemGroup, type SelectProps } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import type { OrganizationRecord, PersonRecord } from '../../shared/schemas.js';
import { useKith } from '../app/KithContext.js';
import { useRxDoc, useRxQuery } from '../hooks/useRx.js';
import { useMembers } from '../hooks/useMembers.js';
import { useCan } from '../hooks/usePermissions.js';
import { useSave } from './forms.js';

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type PickerProps = Omit<SelectProps, 'data' | 'value' | 'onChange' | 'searchable' | 'searchValue' | 'onSearchChange' | 'filter'> & {
  value?: string | null;
  onChange(value: string | null): void;
};

type PickedCollection = 'organizations' | 'people' | 'deals' | 'activities' | 'records';
type Named = { id: string } & Record<string, unknown>;

const CREATE = '__create__';

interface RecordOption {
  value: string;
  label: string;
  description?: string;
  /** ranked before the others (a person at the chosen organization) */
  preferred?: boolean;
}

function useRecordOptions(
  collection: PickedCollection,
  labelField: string,
  search: string,
  value: string | null | undefined,
  describe: (r: any, organizationNames: ReadonlyMap<string, string>) => string | undefined,
  prefer?: { field: string; value: string | null | undefined },
  where: Record<string, string> = {},
) {
  const selected = useRxDoc<Named>(collection, value ?? null);
  const term = search.trim();
  const nameSelector = term ? { [labelField]: { $regex: escapeRegex(term), $options: 'i' } } : {};
  const whereKey = JSON.stringify(where);
  const query = useMemo(() => ({ selector: { archivedAt: null, ...where, ...nameSelector }, limit: 40 }), [term, labelField, whereKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const preferredQuery = useMemo(
    () => (prefer?.value ? { selector: { archivedAt: null, ...where, [prefer.field]: prefer.value, ...nameSelector }, limit: 40 } : null),
    [term, labelField, whereKey, prefer?.field, prefer?.value], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const { data } = useRxQuery<Named>(collection, query);
  const { data: preferredRows } = useRxQuery<Named>(collection, preferredQuery);
  // the organizations of the people listed, to tell two people with one name apart
  const orgIds = useMemo(
    () =>
      collection === 'people'
        ? [...new Set([...data, ...preferredRows, ...(selected.doc ? [selected.doc] : [])].map((r) => r.organizationId).filter((x): x is string => typeof x === 'string'))].sort()
        : [],
    [collection, data, preferredRows, selected.doc],
  );
  const { data: orgs } = useRxQuery<OrganizationRecord>('organizations', orgIds.length ? { selector: { id: { $in: orgIds } } } : null);
  return useMemo(() => {
    const orgNames = new Map(orgs.map((o) => [o.id, o.name]));
    const label = (r: Named) => String(r[labelField] ?? '');
    const byLabel = (a: Named, b: Named) => label(a).localeCompare(label(b));
    const preferredIds = new Set(preferredRows.map((r) => r.id));
    const rows = [...[...preferredRows].sort(byLabel), ...data.filter((r) => !preferredIds.has(r.id)).sort(byLabel)];
    if (selected.doc && !rows.some((r) => r.id === selected.doc!.id)) rows.unshift(selected.doc);
    return rows.map((r): RecordOption => ({ value: r.id, label: label(r), description: describe(r, orgNames), preferred: preferredIds.has(r.id) }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, preferredRows, selected.doc, labelField, orgs]);
}

/** A searchable picker over one collection of the local store (a limited query per keystroke). */
export function RecordPicker({
  collection,
  labelField = 'name',
  value,
  onChange,
  describe,
  prefer,
  preferredGroup,
  create,
  where,
  ...rest
}: PickerProps & {
  collection: PickedCollection;
  labelField?: string;
  describe: (r: any, organizationNames: ReadonlyMap<string, string>) => string | undefined;
  /** records with this field value are listed first, under `preferredGroup` */
  prefer?: { field: string; value: string | null | undefined };
  preferredGroup?: string;
  /** creates a record named by the search text; returns its id (undefined when it failed) */
  create?: (name: string) => Promise<string | undefined>;
  /** only records with these field values (e.g. `{type: 'project'}` for a custom object type's records) */
  where?: Record<string, string>;
}) {
  const [search, setSearch] = useState('');
  const [term, setTerm] = useState('');
  const [creating, setCreating] = useState(false);
  const options = useRecordOptions(collection, labelField, term, value, describe, prefer, where);
  const selectedLabel = options.find((o) => o.value === value)?.label;
  const descriptions = useMemo(() => new Map(options.map((o) => [o.value, o.description])), [options]);
  const trimmed = term.trim();
  const offerCreate = !!create && !!trimmed && !options.some((o) => o.label.toLowerCase() === trimmed.toLowerCase());
  const data = useMemo(() => {
    const item = (o: RecordOption): ComboboxItem => ({ value: o.value, label: o.label });
    const preferred = options.filter((o) => o.preferred).map(item);
    const others = options.filter((o) => !o.preferred).map(item);
    const groups: (ComboboxItem | ComboboxItemGroup<ComboboxItem>)[] =
      preferred.length && preferredGroup ? [{ group: preferredGroup, items: preferred }, ...(others.length ? [{ group: 'Others', items: others }] : [])] : [...preferred, ...others];
    if (offerCreate) groups.push({ value: CREATE, label: `+ Create “${trimmed}”` });
    return groups;
  }, [options, preferredGroup, offerCreate, trimmed]);
  return (
    <Select
      searchable
      clearable
      nothingFoundMessage="No match"
      {...rest}
      disabled={rest.disabled || creating}
      data={data}
      value={value ?? null}
      onChange={(v) => {
        if (v === CREATE) {
          if (!create) return;
          setCreating(true);
          void create(trimmed)
            .then((id) => {
              if (id) {
                onChange(id);
                setTerm('');
              }
            })
            .finally(() => setCreating(false));
          return;
        }
        onChange(v || null);
      }}
      searchValue={search}
      onSearchChange={(s) => {
        setSearch(s);
        setTerm(s === selectedLabel ? '' : s);
      }}
      filter={({ options: o }) => o}
      renderOption={({ option }) => {
        if (option.value === CREATE) {
          return (
            <Group gap={6} wrap="nowrap" data-testid="picker-create">
              <IconPlus size={14} />
              <Text size="sm">{option.label.replace(/^\+ /, '')}</Text>
            </Group>
          );
        }
        const description = descriptions.get(option.value);
        return (
          <Stack gap={0} style={{ minWidth: 0 }}>
            <Text size="sm" truncate>
              {option.label}
            </Text>
            {description && (
              <Text size="xs" c="dimmed" truncate>
                {description}
              </Text>
            )}
          </Stack>
        );
      }}
    />
  );
}

export function OrganizationSelect(props: PickerProps & { allowCreate?: boolean }) {
  const { allowCreate = true, ...rest } = props;
  const store = useKith();
  const { save } = useSave();
  const canCreate = useCan('create', 'organizations').allowed && allowCreate && !rest.readOnly;
  const create = async (name: string) => {
    const created = await save(() => store.create('organizations', { name }), { success: `Organization “${name}” created` });
    return created ? String(created.id) : undefined;
  };
  return <RecordPicker collection="organizations" describe={(r: OrganizationRecord) => r.domain ?? undefined} placeholder="Search organizations" create={canCreate ? create : undefined} {...rest} />;
}

/**
 * People, with email and organization in each option. With `organizationId`, that organization's
 * people come first; "+ Create" adds the person at that organization.
 */
export function PersonSelect(props: PickerProps & { organizationId?: string | null; allowCreate?: boolean }) {
  const { organizationId, allowCreate = true, ...rest } = props;
  const store = useKith();
  const { save } = useSave();
  const { doc: organization } = useRxDoc<OrganizationRecord>('organizations', organizationId ?? null);
  const canCreate = useCan('create', 'people').allowed && allowCreate && !rest.readOnly;
  const create = async (name: string) => {
    const created = await save(() => store.create('people', { name, organizationId: organizationId ?? null }), { success: `${name} added` });
    return created ? String(created.id) : undefined;
  };
  return (
    <RecordPicker
      collection="people"
      describe={(r: PersonRecord, orgNames) => [r.email, r.organizationId ? orgNames.get(r.organizationId) : null].filter(Boolean).join(' · ') || undefined}
      prefer={{ field: 'organizationId', value: organizationId }}
      preferredGroup={organization ? `At ${organization.name}` : 'At this organization'}
      placeholder="Search people"
      create={canCreate ? create : undefined}
      {...rest}
    />
  );
}

export function MemberSelect({ value, onChange, ...rest }: PickerProps) {
  const { members } = useMembers();
  const data = members.map((m) => ({ value: m.id, label: m.name || m.email }));
  if (value && !data.some((d) => d.value === value)) data.unshift({ value, label: 'Unknown user' });
  return <Select clearable placeholder="Nobody" {...rest} data={data} value={value ?? null} onChange={(v) => onChange(v || null)} />;
}
