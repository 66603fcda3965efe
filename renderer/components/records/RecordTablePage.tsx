/**
 * The list page shared by organizations and people: title with counts, search (debounced, `/`
 * focuses it), label filter, active/archived switch, a sortable virtualized table, empty and
 * loading states, and `n` for a new record. The controls survive navigating to a record and back.
 */
import { Anchor, Badge, Loader, Button, Checkbox, Group, Kbd, Menu, MultiSelect, SegmentedControl, Skeleton, Stack, Text, TextInput, Title, EmptyState, CloseButton } from '@mantine/core';
import { useDebouncedValue, useHotkeys, useLocalStorage } from '@mantine/hooks';
import { IconColumns3, IconDownload, IconFilterOff, IconPlus, IconSearch } from '@tabler/icons-react';
import { useKith } from '../../app/KithContext.js';
import { CustomFieldFilter } from '../custom/CustomFieldFilter.js';
import { CustomFieldValue } from '../custom/CustomFieldValue.js';
import { conditionActive, customPredicate, type CustomCondition } from '../custom/customFilter.js';
import { sortKey as customSortKey } from '../custom/customValues.js';
import { useCustomFields } from '../custom/useCustomFields.js';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useLocation } from 'wouter';
import { VirtualTable, type Column } from './VirtualTable.js';
import { BulkBar, useBulkTable } from './BulkBar.js';
import { customCsvCell, useCsvExport } from './exportCsv.js';
import { useRowSelection } from './selection.js';
import { memoAcross } from './memoAcross.js';
import { SavedViews, type ViewState } from './SavedViews.js';
import { filterRows, indexRows, labelCounts, reverseKeepingEmptyLast, SearchText, sortKeyOf, sortReads, sortRows, type RowFilter, type SortBy, type SortState } from './tableModel.js';

export interface RecordTablePageProps<T extends { id: string; labels?: string[] | null; archivedAt?: string | null }> {
  /** prefix of the data-testids: `<entity>-table`, `<entity>-search`, … */
  entity: string;
  title: string;
  noun: { one: string; many: string };
  icon: ReactNode;
  rows: readonly T[];
  loading: boolean;
  /**
   * While `rows` load: the first rows in `defaultSort` order (a small indexed query), shown at
   * once so a 100,000-row table never opens on a blank page. Ignored when the user has filters
   * or another sort.
   */
  preview?: readonly T[];
  /**
   * Everything besides `rows` that `searchText` reads (e.g. the organizations whose names people
   * are searched by). The search text is cached by these identities (and the index and sorts by
   * `rows` and each sort key's `reads`), so coming back to the table does not redo them.
   */
  cacheKeys?: readonly object[];
  columns: readonly Column<T>[];
  searchText: (row: T) => string;
  searchPlaceholder: string;
  sortKeys: Record<string, SortBy<T>>;
  defaultSort: SortState;
  hrefOf: (row: T) => string;
  onNew: (() => void) | null;
  emptyText: string;
  /** extra toolbar content (right side) */
  actions?: ReactNode;
  /**
   * Whose custom fields the table offers (a collection name or an object type key): a "Columns"
   * menu shows them as columns (chosen per table, remembered on this device) and the filter bar
   * filters by one of them.
   */
  customEntity?: string;
  /**
   * Filters of the page beyond the table's own (the deals table's status and pipeline), saved in
   * views with the rest; `onExtraFilters` gets a view's filters when one is applied.
   */
  extraFilters?: Record<string, unknown>;
  onExtraFilters?(filters: Record<string, unknown>): void;
}

interface Controls {
  query: string;
  labels: string[];
  archived: RowFilter['archived'];
  sort: SortState;
  /** a filter on one custom field */
  custom: CustomCondition | null;
}

const TABLE_HEIGHT = 'calc(100dvh - var(--app-shell-header-height, 56px) - 150px)';

/** Table controls per entity, kept for the session so "back" restores the list as it was. */
const savedControls = new Map<string, Controls>();

function useControls(entity: string, defaultSort: SortState) {
  const [controls, setControls] = useState<Controls>(() => savedControls.get(entity) ?? { query: '', labels: [], archived: 'active', sort: defaultSort, custom: null });
  const update = (patch: Partial<Controls>) =>
    setControls((prev) => {
      const next = { ...prev, ...patch };
      savedControls.set(entity, next);
      return next;
    });
  return [controls, update] as const;
}

export function RecordTablePage<T extends { id: string; labels?: string[] | null; archivedAt?: string | null }>(props: RecordTablePageProps<T>) {
  const { entity, rows, loading } = props;
  const { workspaceId } = useKith().info;
  const { fields: customFields } = useCustomFields(props.customEntity ?? null);
  const [shownKeys, setShownKeys] = useLocalStorage<string[]>({ key: `kith.columns.${workspaceId}.${entity}`, defaultValue: [] });
  // standard columns the user turned from their default: hid, or showed when optional (the first, the record's name, always shows)
  const [toggledKeys, setToggledKeys] = useLocalStorage<string[]>({ key: `kith.hiddenColumns.${workspaceId}.${entity}`, defaultValue: [] });
  const isShown = useCallback((c: Column<T>) => (c.optional ?? false) === toggledKeys.includes(c.key), [toggledKeys]);
  const shownFields = useMemo(() => customFields.filter((f) => shownKeys.includes(f.key)), [customFields, shownKeys]);
  const columns = useMemo<Column<T>[]>(
    () => [
      ...props.columns.filter((c, i) => i === 0 || isShown(c)),
      ...shownFields.map((def) => ({
        key: `custom.${def.key}`,
        header: def.label,
        width: 150,
        sortable: true,
        render: (r: T) => <CustomFieldValue def={def} value={(r as { custom?: Record<string, unknown> }).custom?.[def.key]} />,
        csv: (r: T) => customCsvCell(def, (r as { custom?: Record<string, unknown> }).custom?.[def.key]),
      })),
    ],
    [props.columns, shownFields, isShown],
  );
  const sortKeys = useMemo(() => {
    const keys: Record<string, SortBy<T>> = { ...props.sortKeys };
    for (const def of shownFields) keys[`custom.${def.key}`] = { key: (r: T) => customSortKey(def, (r as { custom?: Record<string, unknown> }).custom?.[def.key]), reads: [def] };
    return keys;
  }, [props.sortKeys, shownFields]);
  const [, navigate] = useLocation();
  const [controls, update] = useControls(entity, props.defaultSort);
  const [query] = useDebouncedValue(controls.query, 120);
  const searchRef = useRef<HTMLInputElement>(null);

  useHotkeys([
    ['/', () => searchRef.current?.focus()],
    ['n', () => props.onNew?.()],
  ]);

  // Per data change (cached across visits): the row index; per data or search-text input change:
  // the search text, filled in the background; per data, sort column or sort-key input change: the
  // sort (organizations loading after the deals re-sort only a sort by organization). Typing only
  // filters the sorted list.
  const cacheKeys = props.cacheKeys ?? [];
  const indexed = useMemo(
    () =>
      memoAcross([rows, 'index'], () =>
        indexRows(
          rows,
          (r) => r.labels,
          (r) => !!r.archivedAt,
        ),
      ),
    [rows],
  );
  const search = useMemo(() => memoAcross([indexed, ...cacheKeys, 'search'], () => new SearchText(indexed, props.searchText)), [indexed, props.searchText]); // eslint-disable-line react-hooks/exhaustive-deps
  const sortKey = sortKeys[controls.sort.key] ? controls.sort.key : props.defaultSort.key;
  const sortBy = sortKeys[sortKey];
  // ascending once per data/column change; descending is the same order reversed (O(n))
  const sortedAsc = useMemo(() => memoAcross([indexed, sortKey, ...sortReads(sortBy), 'sort'], () => sortRows(indexed, sortKeyOf(sortBy), 'asc')), [indexed, sortKey, sortBy]);
  const direction = sortKey === controls.sort.key ? controls.sort.direction : props.defaultSort.direction;
  const sorted = useMemo(() => (direction === 'asc' ? sortedAsc : memoAcross([sortedAsc, 'desc'], () => reverseKeepingEmptyLast(sortedAsc, sortKeyOf(sortBy)))), [sortedAsc, direction]); // eslint-disable-line react-hooks/exhaustive-deps
  const customMatch = useMemo(() => customPredicate(controls.custom, customFields), [controls.custom, customFields]);
  const activeCount = useMemo(() => memoAcross([indexed, 'active'], () => indexed.reduce((n, r) => (r.archived ? n : n + 1), 0)), [indexed]);
  const filtered = useMemo(() => {
    // hiding archived rows when there are none filters nothing: the sorted rows as they are (cached)
    const archived = controls.archived === 'active' && activeCount === indexed.length ? 'all' : controls.archived;
    const matching = filterRows(sorted, { query, labels: controls.labels, archived }, search);
    const rowsMatching = matching === sorted ? memoAcross([sorted, 'rows'], () => sorted.map((r) => r.row)) : matching.map((r) => r.row);
    return customMatch ? rowsMatching.filter((r) => customMatch((r as { custom?: Record<string, unknown> }).custom)) : rowsMatching;
  }, [sorted, query, controls.labels, controls.archived, search, customMatch, activeCount, indexed]);
  useEffect(() => search.warm(), [search]);
  // selection and bulk actions (BulkBar.tsx), export (exportCsv.ts): over the rows shown
  const selection = useRowSelection(filtered, props.noun, (r) => props.searchText(r).split('\n')[0]);
  const exporter = useCsvExport(entity, props.noun, columns);
  const bulk = useBulkTable(entity);
  const labelStats = useMemo(() => memoAcross([indexed, 'labels'], () => labelCounts(indexed)), [indexed]);
  const labelOptions = useMemo(() => labelStats.map(({ label }) => ({ value: label, label })), [labelStats]);
  const labelCount = useMemo(() => new Map(labelStats.map(({ label, count }) => [label, count])), [labelStats]);

  const showPreview =
    loading &&
    !!props.preview &&
    props.preview.length > 0 &&
    controls.sort.key === props.defaultSort.key &&
    controls.sort.direction === props.defaultSort.direction &&
    controls.labels.length === 0 &&
    controls.archived === 'active' &&
    !conditionActive(controls.custom) &&
    query.trim() === '';
  const filtering = query.trim() !== '' || controls.labels.length > 0 || controls.archived !== 'active' || conditionActive(controls.custom);
  const clearFilters = () => update({ query: '', labels: [], archived: 'active', custom: null });
  // what a saved view holds, and putting one on the page (SavedViews.tsx)
  const viewState: ViewState = {
    filters: { query: controls.query, labels: controls.labels, archived: controls.archived, custom: controls.custom, ...props.extraFilters },
    sort: [controls.sort],
    columns: columns.map((c) => c.key),
  };
  const applyView = (view: ViewState) => {
    const f = view.filters;
    update({
      query: typeof f.query === 'string' ? f.query : '',
      labels: Array.isArray(f.labels) ? f.labels.map(String) : [],
      archived: f.archived === 'archived' || f.archived === 'all' ? f.archived : 'active',
      custom: (f.custom as CustomCondition | null | undefined) ?? null,
      sort: view.sort[0] ?? props.defaultSort,
    });
    props.onExtraFilters?.(f);
    if (view.columns.length > 0) {
      setToggledKeys(
        props.columns
          .slice(1)
          .filter((c) => (c.optional ?? false) === view.columns.includes(c.key))
          .map((c) => c.key),
      );
      setShownKeys(view.columns.filter((k) => k.startsWith('custom.')).map((k) => k.slice('custom.'.length)));
    }
  };
  const fmt = (n: number) => n.toLocaleString('en-US');

  return (
    <Stack gap="md" h="100%">
      <Group justify="space-between" align="center" wrap="wrap" gap="sm">
        <Group gap="sm" align="center">
          {props.icon}
          <Title order={2}>{props.title}</Title>
          {!loading ? (
            <Badge variant="light" color="gray" size="lg" radius="sm" data-testid={`${entity}-count`} style={{ textTransform: 'none' }}>
              {filtering ? `${fmt(filtered.length)} of ${fmt(activeCount)}` : fmt(activeCount)}
            </Badge>
          ) : (
            <Badge variant="light" color="gray" size="lg" radius="sm" data-testid={`${entity}-count-loading`} leftSection={<Loader size={10} color="gray" />} style={{ textTransform: 'none' }}>
              Loading
            </Badge>
          )}
        </Group>
        <Group gap="sm">
          {props.actions}
          <SavedViews table={props.customEntity ?? entity} testId={entity} current={viewState} onApply={applyView} />
          <Button
            variant="default"
            leftSection={<IconDownload size={16} />}
            onClick={() => void exporter.run(filtered)}
            disabled={loading || filtered.length === 0 || exporter.exporting}
            data-testid={`${entity}-export`}
          >
            {exporter.exporting ? `Exporting ${Math.round((exporter.progress ?? 0) * 100)}%` : 'Export CSV'}
          </Button>
          {(customFields.length > 0 || props.columns.length > 1) && (
            <Menu position="bottom-end" closeOnItemClick={false} withinPortal>
              <Menu.Target>
                <Button variant="default" leftSection={<IconColumns3 size={16} />} data-testid={`${entity}-columns`}>
                  Columns
                </Button>
              </Menu.Target>
              <Menu.Dropdown data-testid={`${entity}-columns-menu`}>
                {props.columns.slice(1).map((c) => (
                  <Menu.Item
                    key={c.key}
                    onClick={() => setToggledKeys((keys) => (keys.includes(c.key) ? keys.filter((k) => k !== c.key) : [...keys, c.key]))}
                    leftSection={<Checkbox size="xs" checked={isShown(c)} onChange={() => undefined} tabIndex={-1} aria-hidden />}
                    data-testid={`${entity}-column-${c.key}`}
                    aria-checked={isShown(c)}
                    role="menuitemcheckbox"
                  >
                    {c.header || c.key}
                  </Menu.Item>
                ))}
                {customFields.length > 0 && <Menu.Label>Custom fields</Menu.Label>}
                {customFields.map((f) => (
                  <Menu.Item
                    key={f.key}
                    onClick={() => setShownKeys((keys) => (keys.includes(f.key) ? keys.filter((k) => k !== f.key) : [...keys, f.key]))}
                    leftSection={<Checkbox size="xs" checked={shownKeys.includes(f.key)} onChange={() => undefined} tabIndex={-1} aria-hidden />}
                    data-testid={`${entity}-column-${f.key}`}
                    aria-checked={shownKeys.includes(f.key)}
                    role="menuitemcheckbox"
                  >
                    {f.label}
                  </Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
          )}
          {props.onNew && (
            <Button leftSection={<IconPlus size={16} />} onClick={props.onNew} data-testid={`${entity}-new`} rightSection={<Kbd size="xs">N</Kbd>}>
              New {props.noun.one}
            </Button>
          )}
        </Group>
      </Group>

      {/* the filters wrap onto more lines on a narrow screen (a phone) instead of leaving it */}
      <Group gap="sm" wrap="wrap">
        <TextInput
          ref={searchRef}
          placeholder={props.searchPlaceholder}
          leftSection={<IconSearch size={16} />}
          rightSection={controls.query ? <CloseButton size="sm" aria-label="Clear search" onClick={() => update({ query: '' })} /> : <Kbd size="xs">/</Kbd>}
          value={controls.query}
          onChange={(e) => update({ query: e.currentTarget.value })}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              if (controls.query) update({ query: '' });
              else e.currentTarget.blur();
            }
          }}
          style={{ flex: '1 1 200px', maxWidth: 420 }}
          data-testid={`${entity}-search`}
          aria-label={`Search ${props.noun.many}`}
        />
        <MultiSelect
          placeholder={controls.labels.length === 0 ? 'Filter by label' : undefined}
          data={labelOptions}
          value={controls.labels}
          onChange={(labels) => update({ labels })}
          searchable
          clearable
          nothingFoundMessage="No labels yet"
          style={{ flex: '1 1 200px', maxWidth: 420 }}
          data-testid={`${entity}-label-filter`}
          aria-label="Filter by label"
          comboboxProps={{ withinPortal: true }}
          renderOption={({ option }) => (
            <Group justify="space-between" wrap="nowrap" w="100%" gap="xs">
              <span>{option.label}</span>
              <Text span size="xs" c="dimmed">
                {(labelCount.get(option.value) ?? 0).toLocaleString('en-US')}
              </Text>
            </Group>
          )}
        />
        <SegmentedControl
          value={controls.archived}
          onChange={(v) => update({ archived: v as Controls['archived'] })}
          data={[
            { value: 'active', label: 'Active' },
            { value: 'archived', label: 'Archived' },
            { value: 'all', label: 'All' },
          ]}
          data-testid={`${entity}-archived-filter`}
        />
        <CustomFieldFilter fields={customFields} value={controls.custom} onChange={(custom) => update({ custom })} testId={`${entity}-custom-filter`} />
      </Group>

      {!loading && bulk.target && bulk.selectable && (
        <BulkBar
          target={bulk.target}
          noun={props.noun}
          selected={selection.selected}
          matching={filtered.length}
          onSelectAll={selection.selectAll}
          onClear={selection.clear}
          labels={labelOptions.map((o) => o.value)}
          onExport={() => void exporter.run(selection.selected)}
          exporting={exporter.exporting}
        />
      )}
      {showPreview ? (
        <VirtualTable
          testId={`${entity}-table`}
          rows={props.preview!}
          columns={columns}
          rowKey={(r) => r.id}
          sort={props.defaultSort}
          onSort={(sort) => update({ sort })}
          onRowClick={(r) => navigate(props.hrefOf(r))}
          rowProps={(r) => ({ 'data-testid': `${entity}-row-${r.id}` })}
          height={TABLE_HEIGHT}
        />
      ) : loading ? (
        <Stack gap={6} data-testid={`${entity}-loading`}>
          <Skeleton height={40} radius="sm" />
          {Array.from({ length: 8 }, (_, i) => (
            <Skeleton key={i} height={36} radius="sm" opacity={1 - i * 0.1} />
          ))}
        </Stack>
      ) : rows.length === 0 ? (
        <EmptyState data-testid={`${entity}-empty`} mt="xl" variant="light" icon={props.icon} title={`No ${props.noun.many} yet`} description={props.emptyText}>
          {props.onNew && (
            <EmptyState.Actions>
              <Button leftSection={<IconPlus size={16} />} onClick={props.onNew}>
                Add {props.noun.one}
              </Button>
            </EmptyState.Actions>
          )}
        </EmptyState>
      ) : filtered.length === 0 ? (
        <EmptyState
          data-testid={`${entity}-no-match`}
          mt="xl"
          icon={<IconFilterOff size={28} />}
          withIndicatorBackground
          title={`No ${props.noun.many} match`}
          description="Try another search or remove a filter."
        >
          <EmptyState.Actions>
            <Button variant="default" onClick={clearFilters}>
              Clear filters
            </Button>
          </EmptyState.Actions>
        </EmptyState>
      ) : (
        <VirtualTable
          testId={`${entity}-table`}
          rows={filtered}
          columns={bulk.selectable ? [selection.column, ...columns] : columns}
          rowKey={(r) => r.id}
          sort={{ key: sortKey, direction: sortKey === controls.sort.key ? controls.sort.direction : props.defaultSort.direction }}
          onSort={(sort) => update({ sort })}
          onRowClick={(r) => navigate(props.hrefOf(r))}
          rowProps={(r) => ({ 'data-testid': `${entity}-row-${r.id}`, 'data-archived': r.archivedAt ? 'true' : undefined })}
          height={TABLE_HEIGHT}
        />
      )}
      {!loading && filtering && filtered.length > 0 && (
        <Text size="xs" c="dimmed" mt={-8}>
          Showing {fmt(filtered.length)} matching {filtered.length === 1 ? props.noun.one : props.noun.many}.{' '}
          <Anchor component="button" type="button" size="xs" onClick={clearFilters} data-testid={`${entity}-clear-filters`}>
            Clear filters
          </Anchor>
        </Text>
      )}
    </Stack>
  );
}
