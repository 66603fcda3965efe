/**
 * Deals as a table beside the board (issue 15, item 2): every deal in the local store, searchable
 * (title, organization, contact), filterable by status and pipeline (plus labels, archived and a
 * custom field, as every table), sortable, virtualized (100,000 rows), with the stage, amount and
 * expected close date edited in place: click the cell (or focus it and press Enter), Enter or
 * leaving the cell saves, Esc cancels. Saved locally first, like every edit, and synced.
 */
import { Anchor, Badge, Group, NumberInput, SegmentedControl, Select, Text, TextInput, UnstyledButton } from '@mantine/core';
import { IconLayoutKanban, IconTable } from '@tabler/icons-react';
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import type { DealRecord, OrganizationRecord, PersonRecord, PipelineRecord, StageRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { useSave } from '../../components/forms.js';
import { LabelBadges } from '../../components/records/LabelBadges.js';
import { RecordTablePage } from '../../components/records/RecordTablePage.js';
import { timeColumn, timeSortKeys } from '../../components/records/timeColumns.js';
import type { Column } from '../../components/records/VirtualTable.js';
import { useCollectionRows } from '../../components/records/useCollectionRows.js';
import { useQuickCreate } from '../../components/create/QuickCreate.js';
import { useCan } from '../../hooks/usePermissions.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { formatDate, formatMoney } from '../../lib/format.js';

const stop = (e: React.SyntheticEvent) => e.stopPropagation();
type Status = 'open' | 'won' | 'lost' | 'all';

/** A cell that turns into an input when clicked (or Enter on it); the input saves on Enter or blur, Esc cancels. */
function EditableCell({ label, display, editor, editable }: { label: string; display: ReactNode; editable: boolean; editor: (done: () => void) => ReactNode }) {
  const [editing, setEditing] = useState(false);
  if (!editable) return <>{display}</>;
  if (editing)
    return (
      <div onClick={stop} onKeyDown={stop} style={{ width: '100%' }}>
        {editor(() => setEditing(false))}
      </div>
    );
  return (
    <UnstyledButton
      title={`Edit ${label}`}
      onClick={(e) => {
        stop(e);
        setEditing(true);
      }}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          stop(e);
          e.preventDefault();
          setEditing(true);
        }
      }}
      style={{ width: '100%', minHeight: 24, borderRadius: 4 }}
      className="kith-editable-cell"
      data-testid={`edit-${label}`}
    >
      {display}
    </UnstyledButton>
  );
}

export function DealsView() {
  const store = useKith();
  const { save } = useSave();
  const { openCreate } = useQuickCreate();
  const canCreate = useCan('create', 'deals').allowed;
  const canEdit = useCan('update', 'deals').allowed;
  const { data: deals, loading: dealsLoading, preview } = useCollectionRows<DealRecord>('deals');
  const { data: organizations } = useCollectionRows<OrganizationRecord>('organizations');
  const { data: people } = useCollectionRows<PersonRecord>('people');
  const pipelines = useRxQuery<PipelineRecord>('pipelines', { selector: {} }).data;
  const stages = useRxQuery<StageRecord>('stages', { selector: {} }).data;
  const [status, setStatus] = useState<Status>('open');
  const [pipelineId, setPipelineId] = useState<string | null>(null);

  const names = useMemo(() => {
    const map = new Map<string, string>();
    for (const o of organizations) map.set(o.id, o.name);
    for (const p of people) map.set(p.id, p.name);
    return map;
  }, [organizations, people]);
  const stageById = useMemo(() => new Map(stages.map((s) => [s.id, s])), [stages]);
  const stagesOf = useMemo(() => {
    const by = new Map<string, StageRecord[]>();
    for (const s of stages) if (!s.archivedAt) by.set(s.pipelineId, [...(by.get(s.pipelineId) ?? []), s]);
    for (const list of by.values()) list.sort((a, b) => a.position - b.position);
    return by;
  }, [stages]);
  const rows = useMemo(() => deals.filter((d) => (status === 'all' || d.status === status) && (!pipelineId || d.pipelineId === pipelineId)), [deals, status, pipelineId]);

  const update = useCallback(
    (deal: DealRecord, patch: Partial<DealRecord>, what: string) => void save(() => store.update('deals', deal.id, patch), { success: `${deal.title}: ${what} saved` }),
    [save, store],
  );

  const columns = useMemo<Column<DealRecord>[]>(
    () => [
      {
        key: 'title',
        header: 'Deal',
        width: '22%',
        sortable: true,
        render: (d) => (
          <Text size="sm" fw={500} truncate c={d.archivedAt ? 'dimmed' : undefined} data-row-name>
            {d.title}
          </Text>
        ),
      },
      {
        key: 'organization',
        header: 'Organization',
        width: '15%',
        sortable: true,
        csv: (d) => (d.organizationId ? (names.get(d.organizationId) ?? '') : ''),
        render: (d) =>
          d.organizationId ? (
            <Anchor component={Link} href={`/organizations/${d.organizationId}`} size="sm" onClick={stop} truncate>
              {names.get(d.organizationId) ?? '…'}
            </Anchor>
          ) : null,
      },
      {
        key: 'stage',
        header: 'Stage',
        width: '14%',
        sortable: true,
        csv: (d) => stageById.get(d.stageId)?.name ?? '',
        render: (d) => (
          <EditableCell
            label={`stage of ${d.title}`}
            editable={canEdit && d.status === 'open' && !d.archivedAt}
            display={
              <Text size="sm" truncate>
                {stageById.get(d.stageId)?.name ?? '…'}
              </Text>
            }
            editor={(done) => (
              <Select
                size="xs"
                autoFocus
                defaultDropdownOpened
                aria-label={`Stage of ${d.title}`}
                data={(stagesOf.get(d.pipelineId) ?? []).map((s) => ({ value: s.id, label: s.name }))}
                value={d.stageId}
                allowDeselect={false}
                onChange={(v) => {
                  if (v && v !== d.stageId) update(d, { stageId: v }, 'stage');
                  done();
                }}
                onDropdownClose={done}
                onKeyDown={(e) => e.key === 'Escape' && done()}
              />
            )}
          />
        ),
      },
      {
        key: 'amount',
        header: 'Amount',
        width: '13%',
        sortable: true,
        csv: (d) => (d.amount == null ? '' : `${d.amount} ${d.currency}`),
        render: (d) => (
          <EditableCell
            label={`amount of ${d.title}`}
            editable={canEdit && !d.archivedAt}
            display={
              <Text size="sm" truncate>
                {d.amount == null ? '' : formatMoney(d.amount, d.currency)}
              </Text>
            }
            editor={(done) => <AmountEditor deal={d} onSave={(amount) => (amount !== d.amount && update(d, { amount }, 'amount'), done())} onCancel={done} />}
          />
        ),
      },
      {
        key: 'expectedCloseDate',
        header: 'Expected close',
        width: '12%',
        sortable: true,
        render: (d) => (
          <EditableCell
            label={`expected close of ${d.title}`}
            editable={canEdit && !d.archivedAt}
            display={
              <Text size="sm" truncate>
                {d.expectedCloseDate ? formatDate(d.expectedCloseDate) : ''}
              </Text>
            }
            editor={(done) => <DateEditor deal={d} onSave={(date) => (date !== d.expectedCloseDate && update(d, { expectedCloseDate: date }, 'expected close'), done())} onCancel={done} />}
          />
        ),
      },
      {
        key: 'status',
        header: 'Status',
        width: '8%',
        sortable: true,
        render: (d) => (
          <Badge size="sm" variant="light" color={d.status === 'won' ? 'teal' : d.status === 'lost' ? 'red' : 'blue'}>
            {d.status}
          </Badge>
        ),
      },
      { key: 'labels', header: 'Labels', width: '9%', render: (d) => <LabelBadges labels={d.labels} max={2} size="xs" /> },
      timeColumn<DealRecord>('updatedAt', '7%'),
      timeColumn<DealRecord>('lastActivityAt', '9%'),
      timeColumn<DealRecord>('nextFollowUpAt', '9%'),
      timeColumn<DealRecord>('stageEnteredAt', '9%'),
    ],
    [names, stageById, stagesOf, canEdit, update],
  );

  const sortKeys = useMemo(
    () => ({
      title: (d: DealRecord) => d.title,
      organization: { key: (d: DealRecord) => (d.organizationId ? (names.get(d.organizationId) ?? null) : null), reads: [organizations] },
      // stages sort by pipeline, then their order in it
      stage: {
        key: (d: DealRecord) => {
          const s = stageById.get(d.stageId);
          return s ? ([d.pipelineId, s.position] as const) : null;
        },
        reads: [stages],
      },
      // amounts by currency, then by number (no string built per deal: tableModel.ts SortKey)
      amount: (d: DealRecord) => (d.amount == null ? null : ([d.currency, d.amount] as const)),
      expectedCloseDate: (d: DealRecord) => d.expectedCloseDate,
      status: (d: DealRecord) => d.status,
      ...timeSortKeys<DealRecord>('updatedAt', 'lastActivityAt', 'nextFollowUpAt', 'stageEnteredAt'),
    }),
    [names, stageById, organizations, stages],
  );

  const searchText = useCallback(
    (d: DealRecord) => `${d.title}\n${d.organizationId ? (names.get(d.organizationId) ?? '') : ''}\n${d.primaryPersonId ? (names.get(d.primaryPersonId) ?? '') : ''}`,
    [names],
  );

  return (
    <RecordTablePage<DealRecord>
      entity="deals"
      customEntity="deals"
      title="Deals"
      noun={{ one: 'deal', many: 'deals' }}
      icon={<IconTable size={26} stroke={1.6} />}
      rows={rows}
      loading={dealsLoading}
      preview={status === 'open' && !pipelineId ? (preview ?? []).filter((d) => d.status === 'open' && !d.archivedAt) : undefined}
      cacheKeys={[organizations, people]}
      columns={columns}
      searchText={searchText}
      searchPlaceholder="Search title, organization, contact"
      sortKeys={sortKeys}
      defaultSort={{ key: 'updatedAt', direction: 'desc' }}
      hrefOf={(d) => `/deals/${d.id}`}
      onNew={canCreate ? () => openCreate('deal') : null}
      emptyText="Deals you add on the board or here, or that agents and teammates add, show up in this table."
      extraFilters={{ status, pipelineId }}
      onExtraFilters={(f) => {
        setStatus(['open', 'won', 'lost', 'all'].includes(String(f.status)) ? (f.status as Status) : 'open');
        setPipelineId(typeof f.pipelineId === 'string' ? f.pipelineId : null);
      }}
      actions={
        <Group gap="xs">
          <SegmentedControl
            size="xs"
            value={status}
            onChange={(v) => setStatus(v as Status)}
            data={['open', 'won', 'lost', 'all'].map((s) => ({ value: s, label: s[0]!.toUpperCase() + s.slice(1) }))}
            aria-label="Status"
            data-testid="deals-status"
          />
          {pipelines.filter((p) => !p.archivedAt).length > 1 && (
            <Select
              size="xs"
              w={150}
              placeholder="All pipelines"
              clearable
              aria-label="Pipeline"
              data={pipelines.filter((p) => !p.archivedAt).map((p) => ({ value: p.id, label: p.name }))}
              value={pipelineId}
              onChange={setPipelineId}
            />
          )}
          <Anchor component={Link} href="/" size="sm" aria-label="Show the board">
            <Group gap={4} wrap="nowrap">
              <IconLayoutKanban size={16} />
              Board
            </Group>
          </Anchor>
        </Group>
      }
    />
  );
}

/** Calls `fn` once: Enter saves, and the blur that can follow as the input goes must not save again. */
function useOnce<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  const [state] = useState({ done: false });
  return (...args: A) => {
    if (state.done) return;
    state.done = true;
    fn(...args);
  };
}

function AmountEditor({ deal, onSave, onCancel }: { deal: DealRecord; onSave(amount: number | null): void; onCancel(): void }) {
  const [value, setValue] = useState<string | number>(deal.amount ?? '');
  const finish = useOnce((save: boolean) => (save ? onSave(value === '' ? null : Number(value)) : onCancel()));
  const commit = () => finish(true);
  return (
    <NumberInput
      size="xs"
      autoFocus
      aria-label={`Amount of ${deal.title}`}
      value={value}
      onChange={setValue}
      min={0}
      decimalScale={4}
      thousandSeparator=","
      rightSection={<Text size="xs">{deal.currency}</Text>}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') finish(false);
      }}
    />
  );
}

function DateEditor({ deal, onSave, onCancel }: { deal: DealRecord; onSave(date: string | null): void; onCancel(): void }) {
  const [value, setValue] = useState(deal.expectedCloseDate ?? '');
  const finish = useOnce((save: boolean) => (save ? onSave(value || null) : onCancel()));
  const commit = () => finish(true);
  return (
    <TextInput
      size="xs"
      type="date"
      autoFocus
      aria-label={`Expected close of ${deal.title}`}
      value={value}
      onChange={(e) => setValue(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') finish(false);
      }}
    />
  );
}
