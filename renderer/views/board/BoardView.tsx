/**
 * The pipeline board: one column per stage (count, total, weighted value), drag deals between
 * stages or onto Won / Lost, switch pipelines, filter by owner, label, status and text (a deal's
 * title, its organization's or a contact's name). Whoever
 * may not edit deals gets the same board to read: no drag, no card menu, no "New deal".
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ActionIcon, Box, Button, Center, Checkbox, CloseButton, EmptyState, Group, Menu, MultiSelect, Paper, SegmentedControl, Select, Skeleton, Text, TextInput, Title } from '@mantine/core';
import { useHotkeys, useLocalStorage } from '@mantine/hooks';
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  pointerWithin,
  rectIntersection,
  useDroppable,
  useSensor,
  useSensors,
  type CollisionDetection,
  type DragEndEvent,
  type KeyboardCoordinateGetter,
  type DragStartEvent,
} from '@dnd-kit/core';
import { IconLayoutCards, IconLayoutKanban, IconPlus, IconSearch, IconTable, IconThumbDown, IconTrophy } from '@tabler/icons-react';
import { Link, useLocation } from 'wouter';
import type { ActivityRecord, DealContactRecord, DealRecord, OrganizationRecord, PersonRecord, StageChangeRecord, StageRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { useMembers } from '../../hooks/useMembers.js';
import { useSave } from '../../components/forms.js';
import { useQuickCreate } from '../../components/create/QuickCreate.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { usePipelinesAndStages } from '../../hooks/usePipelinesAndStages.js';
import { escapeRegex } from '../../components/pickers.js';
import { CustomFieldFilter } from '../../components/custom/CustomFieldFilter.js';
import { conditionActive, customPredicate, type CustomCondition } from '../../components/custom/customFilter.js';
import { useCustomFields } from '../../components/custom/useCustomFields.js';
import { SavedViews, type ViewState } from '../../components/records/SavedViews.js';
import { useDealOutcome } from '../deals/outcome.js';
import { buildColumns, filterDeals, mergeTotals, UNASSIGNED, withMoves, type BoardColumnModel, type BoardFilters, type DealSearchMatches, type PendingMove, type StatusFilter } from './boardModel.js';
import { BoardColumn, TotalsLine } from './BoardColumn.js';
import { DealCardOverlay, type DealCardActions } from './DealCard.js';
import { DealHealthContext, healthIndex, type HealthIndex } from './dealHealth.js';

/** Keyboard dragging: left/right arrows jump straight to the previous/next stage column. */
const columnKeyboardCoordinates: KeyboardCoordinateGetter = (event, { context: { droppableRects, droppableContainers, collisionRect } }) => {
  if (!collisionRect || (event.code !== 'ArrowRight' && event.code !== 'ArrowLeft')) return undefined;
  event.preventDefault();
  const center = collisionRect.left + collisionRect.width / 2;
  const columns = droppableContainers
    .getEnabled()
    .filter((c) => String(c.id).startsWith('stage:'))
    .map((c) => droppableRects.get(c.id))
    .filter((r): r is NonNullable<typeof r> => !!r)
    .sort((a, b) => a.left - b.left);
  const target = event.code === 'ArrowRight' ? columns.find((r) => r.left + r.width / 2 > center + 10) : [...columns].reverse().find((r) => r.left + r.width / 2 < center - 10);
  if (!target) return undefined;
  return { x: target.left + (target.width - collisionRect.width) / 2, y: target.top + 70 };
};

const collisions: CollisionDetection = (args) => {
  const hits = pointerWithin(args);
  return hits.length > 0 ? hits : rectIntersection(args);
};

function OutcomeZone({ outcome }: { outcome: 'won' | 'lost' }) {
  const { setNodeRef, isOver } = useDroppable({ id: `outcome:${outcome}` });
  const won = outcome === 'won';
  return (
    <Paper
      ref={setNodeRef}
      data-testid={`drop-${outcome}`}
      radius="md"
      p="md"
      withBorder
      style={{
        flex: 1,
        textAlign: 'center',
        borderStyle: 'dashed',
        borderWidth: 2,
        borderColor: `var(--mantine-color-${won ? 'teal' : 'red'}-${isOver ? 6 : 3})`,
        background: `var(--mantine-color-${won ? 'teal' : 'red'}-${isOver ? 1 : 0})`,
      }}
    >
      <Group justify="center" gap="xs">
        {won ? <IconTrophy size={18} color="var(--mantine-color-teal-7)" /> : <IconThumbDown size={18} color="var(--mantine-color-red-7)" />}
        <Text fw={600} c={won ? 'teal.8' : 'red.8'}>
          {won ? 'Won' : 'Lost'}
        </Text>
      </Group>
    </Paper>
  );
}

/** The organizations, people and deal contacts whose names match the filter text (deals with them match too). */
function useSearchMatches(search: string): DealSearchMatches | null {
  const term = search.trim();
  const regex = term ? { $regex: escapeRegex(term), $options: 'i' } : null;
  const { data: orgs } = useRxQuery<OrganizationRecord>('organizations', regex ? { selector: { name: regex } } : null);
  const { data: people } = useRxQuery<PersonRecord>('people', regex ? { selector: { name: regex } } : null);
  const personIds = useMemo(() => people.map((p) => p.id).sort(), [people]);
  const { data: contacts } = useRxQuery<DealContactRecord>('dealContacts', personIds.length ? { selector: { personId: { $in: personIds } } } : null);
  return useMemo(
    () => (term ? { organizationIds: new Set(orgs.map((o) => o.id)), personIds: new Set(personIds), dealIds: new Set(contacts.map((c) => c.dealId)) } : null),
    [term, orgs, personIds, contacts],
  );
}

/** The health of the pipeline's deals: stage changes and open follow-ups from the local store, re-evaluated each minute (overdue marks). */
function useDealHealth(pipelineId: string | null): HealthIndex {
  const { data: changes } = useRxQuery<StageChangeRecord>('stageChanges', pipelineId ? { selector: { pipelineId } } : null);
  const { data: followUps } = useRxQuery<ActivityRecord>('activities', { selector: { type: 'follow_up', completedAt: null } });
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return useMemo(() => healthIndex(changes, followUps, now), [changes, followUps, now]);
}

/**
 * Deals moved on this board show in their new stage at once, in the render of the drop, rather
 * than after the local write lands (a store round trip later, the card back in its old column
 * meanwhile). A shown move lasts while the store still has the deal as it was; it goes when the
 * store has a newer version of the deal (the move, or someone else's change) or when saving fails.
 */
function usePendingMoves(allDeals: DealRecord[]) {
  const [moves, setMoves] = useState<ReadonlyMap<string, PendingMove>>(() => new Map());
  const deals = useMemo(() => withMoves(allDeals, moves), [allDeals, moves]);
  const showMove = useCallback(
    (deal: DealRecord, stageId: string) => setMoves((all) => new Map(all).set(deal.id, { from: all.get(deal.id)?.from ?? deal, shown: { ...deal, stageId, updatedAt: new Date().toISOString() } })),
    [],
  );
  const dropMove = useCallback((id: string) => setMoves((all) => (all.has(id) ? new Map([...all].filter(([key]) => key !== id)) : all)), []);
  useEffect(() => {
    if (moves.size === 0) return;
    const stored = new Map(allDeals.filter((d) => moves.has(d.id)).map((d) => [d.id, d]));
    const settled = [...moves].filter(([id, move]) => stored.get(id) !== move.from).map(([id]) => id);
    if (settled.length > 0) setMoves((all) => new Map([...all].filter(([id]) => !settled.includes(id))));
  }, [allDeals, moves]);
  return { deals, showMove, dropMove };
}

/** The board's columns; a column whose deals did not change keeps its model, so it does not re-render (buildColumns). */
function useColumns(stages: StageRecord[], visible: DealRecord[]): BoardColumnModel[] {
  const previous = useRef<BoardColumnModel[]>([]);
  return useMemo(() => (previous.current = buildColumns(stages, visible, previous.current)), [stages, visible]);
}

export function BoardView() {
  const store = useKith();
  const { can } = usePermissions();
  const [canCreate, canMove] = [can('create', 'deals'), can('update', 'deals')];
  const [, navigate] = useLocation();
  const { openCreate } = useQuickCreate();
  const { save } = useSave();
  const outcome = useDealOutcome();
  const { members } = useMembers();
  const [storedPipeline, setStoredPipeline] = useLocalStorage<string | null>({ key: `kith.board.pipeline.${store.info.workspaceId}`, defaultValue: null });
  const { pipelines, pipelineId, stages, loading: structureLoading } = usePipelinesAndStages(storedPipeline);
  const validPipelineId = pipelines.some((p) => p.id === pipelineId) ? pipelineId : ((pipelines.find((p) => p.isDefault) ?? pipelines[0])?.id ?? null);

  const [filters, setFilters] = useState<BoardFilters>({ ownerId: null, labels: [], search: '', status: 'open' });
  const { fields: dealFields } = useCustomFields('deals');
  const [customFilter, setCustomFilter] = useState<CustomCondition | null>(null);
  const customMatch = useMemo(() => customPredicate(customFilter, dealFields), [customFilter, dealFields]);
  // the custom fields shown on cards, chosen per pipeline and remembered on this device
  const [cardFieldKeys, setCardFieldKeys] = useLocalStorage<Record<string, string[]>>({ key: `kith.board.cardFields.${store.info.workspaceId}`, defaultValue: {} });
  const chosenCardKeys = useMemo(() => (validPipelineId ? (cardFieldKeys[validPipelineId] ?? []) : []), [cardFieldKeys, validPipelineId]);
  const cardFields = useMemo(() => dealFields.filter((f) => chosenCardKeys.includes(f.key)), [dealFields, chosenCardKeys]);
  const toggleCardField = (key: string) =>
    validPipelineId &&
    setCardFieldKeys((all) => ({
      ...all,
      [validPipelineId]: (all[validPipelineId] ?? []).includes(key) ? (all[validPipelineId] ?? []).filter((k) => k !== key) : [...(all[validPipelineId] ?? []), key],
    }));
  const searchRef = useRef<HTMLInputElement>(null);
  useHotkeys([['/', () => searchRef.current?.focus()]]);
  // a saved view (SavedViews.tsx): its pipeline, filters and the custom fields on its cards
  const applyBoardView = ({ filters: f, columns }: ViewState) => {
    const pipeline = typeof f.pipelineId === 'string' && pipelines.some((p) => p.id === f.pipelineId) ? f.pipelineId : validPipelineId;
    if (pipeline && pipeline !== validPipelineId) setStoredPipeline(pipeline);
    const status = ['open', 'won', 'lost', 'all'].includes(String(f.status)) ? (f.status as StatusFilter) : 'open';
    setFilters({
      ownerId: typeof f.ownerId === 'string' ? f.ownerId : null,
      labels: Array.isArray(f.labels) ? f.labels.map(String) : [],
      search: typeof f.search === 'string' ? f.search : '',
      status,
    });
    setCustomFilter((f.custom as CustomCondition | null | undefined) ?? null);
    if (pipeline) setCardFieldKeys((all) => ({ ...all, [pipeline]: columns }));
  };

  const dealQuery = useMemo(() => (validPipelineId ? { selector: { pipelineId: validPipelineId } } : null), [validPipelineId]);
  const { data: allDeals, loading: dealsLoading } = useRxQuery<DealRecord>('deals', dealQuery);
  const { deals: shownDeals, showMove, dropMove } = usePendingMoves(allDeals);
  const health = useDealHealth(validPipelineId);
  const matches = useSearchMatches(filters.search);
  const visible = useMemo(() => {
    const deals = filterDeals(shownDeals, filters, matches);
    return customMatch ? deals.filter((d) => customMatch(d.custom)) : deals;
  }, [shownDeals, filters, matches, customMatch]);
  const columns = useColumns(stages, visible);
  // the board's totals and count are its columns' (the deals in this pipeline's stages)
  const summary = useMemo(() => mergeTotals(columns.map((c) => c.totals)), [columns]);
  const shownCount = useMemo(() => columns.reduce((n, c) => n + c.deals.length, 0), [columns]);
  const labelOptions = useMemo(() => [...new Set(allDeals.flatMap((d) => d.labels))].sort((a, b) => a.localeCompare(b)), [allDeals]);

  const orgIds = useMemo(() => [...new Set(visible.map((d) => d.organizationId).filter((x): x is string => !!x))].sort(), [visible]);
  const orgQuery = useMemo(() => (orgIds.length ? { selector: { id: { $in: orgIds } } } : null), [orgIds]);
  const { data: orgs } = useRxQuery<OrganizationRecord>('organizations', orgQuery);
  const organizationNames = useMemo(() => new Map(orgs.map((o) => [o.id, o.name])), [orgs]);
  const ownerNames = useMemo(() => new Map(members.map((m) => [m.id, m.name || m.email])), [members]);

  const [dragging, setDragging] = useState<DealRecord | null>(null);
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 6 } }), useSensor(KeyboardSensor, { coordinateGetter: columnKeyboardCoordinates }));

  const move = useCallback(
    async (deal: DealRecord, stageId: string) => {
      if (deal.stageId === stageId) return;
      const stage = stages.find((s) => s.id === stageId);
      showMove(deal, stageId);
      const saved = await save(() => store.update('deals', deal.id, { stageId }), { success: stage ? `Moved “${deal.title}” to ${stage.name}` : undefined });
      if (saved === undefined) dropMove(deal.id);
    },
    [save, stages, store, showMove, dropMove],
  );

  const { markWon, markLost, reopen } = outcome;
  const actions = useMemo<DealCardActions>(
    () => ({
      open: (deal) => navigate(`/deals/${deal.id}`),
      move: (deal, stageId) => void move(deal, stageId),
      won: (deal) => void markWon(deal),
      lost: (deal) => markLost(deal),
      reopen: (deal) => void reopen(deal),
    }),
    [move, navigate, markWon, markLost, reopen],
  );

  const dealTitle = (id: string | number) => allDeals.find((d) => d.id === id)?.title ?? 'the deal';
  const targetName = (id: string | number | undefined) => {
    const key = String(id ?? '');
    if (key === 'outcome:won') return 'Won';
    if (key === 'outcome:lost') return 'Lost';
    return stages.find((s) => `stage:${s.id}` === key)?.name ?? 'nowhere';
  };
  const accessibility = {
    screenReaderInstructions: { draggable: 'Enter opens the deal. To move it, press space to pick it up, use the arrow keys to choose a stage, then press space to drop it, or escape to cancel.' },
    announcements: {
      onDragStart: ({ active }: { active: { id: string | number } }) => `Picked up ${dealTitle(active.id)}.`,
      onDragOver: ({ active, over }: { active: { id: string | number }; over: { id: string | number } | null }) =>
        over ? `${dealTitle(active.id)} is over ${targetName(over.id)}.` : `${dealTitle(active.id)} is not over a stage.`,
      onDragEnd: ({ active, over }: { active: { id: string | number }; over: { id: string | number } | null }) =>
        over ? `${dealTitle(active.id)} dropped on ${targetName(over.id)}.` : `${dealTitle(active.id)} dropped.`,
      onDragCancel: ({ active }: { active: { id: string | number } }) => `Moving ${dealTitle(active.id)} was cancelled.`,
    },
  };
  const onDragStart = (event: DragStartEvent) => setDragging((event.active.data.current as { deal: DealRecord } | undefined)?.deal ?? null);
  const onDragEnd = (event: DragEndEvent) => {
    setDragging(null);
    const deal = (event.active.data.current as { deal: DealRecord } | undefined)?.deal;
    const over = event.over?.id ? String(event.over.id) : null;
    if (!deal || !over || !canMove) return;
    if (over.startsWith('stage:')) void move(deal, over.slice('stage:'.length));
    else if (over === 'outcome:won' && deal.status !== 'won') void outcome.markWon(deal);
    else if (over === 'outcome:lost' && deal.status !== 'lost') outcome.markLost(deal);
  };

  useEffect(() => {
    if (pipelineId && storedPipeline && pipelineId !== storedPipeline) setStoredPipeline(null);
  }, [pipelineId, storedPipeline, setStoredPipeline]);

  const loading = structureLoading || (dealsLoading && allDeals.length === 0);
  const filtersActive = filters.ownerId !== null || filters.labels.length > 0 || filters.search.trim() !== '' || filters.status !== 'open' || conditionActive(customFilter);

  if (!structureLoading && pipelines.length === 0) {
    return (
      <Center mih={400}>
        <EmptyState icon={<IconLayoutKanban />} title="No pipeline yet" description="Pipelines arrive from the server on the first sync. If this stays empty, check the sync indicator." />
      </Center>
    );
  }

  return (
    <DealHealthContext.Provider value={health}>
      <Box style={{ display: 'flex', flexDirection: 'column', height: 'calc(100vh - 56px - 2 * var(--mantine-spacing-md))' }} data-testid="board">
        <Group justify="space-between" mb="sm" wrap="wrap" gap="sm">
          <Group gap="sm" wrap="wrap">
            <Title order={3}>Pipeline</Title>
            <Select
              aria-label="Pipeline"
              data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
              value={validPipelineId}
              onChange={(v) => v && setStoredPipeline(v)}
              allowDeselect={false}
              w={160}
              data-testid="pipeline-switcher"
            />
            <SegmentedControl
              size="xs"
              value={filters.status}
              onChange={(v) => setFilters((f) => ({ ...f, status: v as StatusFilter }))}
              data={[
                { value: 'open', label: 'Open' },
                { value: 'won', label: 'Won' },
                { value: 'lost', label: 'Lost' },
                { value: 'all', label: 'All' },
              ]}
              data-testid="status-filter"
            />
            <Button component={Link} href="/deals" size="xs" variant="subtle" leftSection={<IconTable size={14} />} data-testid="deals-table-link">
              Table
            </Button>
          </Group>
          <Group gap="sm" wrap="wrap">
            <TextInput
              ref={searchRef}
              placeholder="Filter deals  ( / )"
              leftSection={<IconSearch size={14} />}
              value={filters.search}
              onChange={(e) => {
                const search = e.currentTarget.value;
                setFilters((f) => ({ ...f, search }));
              }}
              rightSection={filters.search ? <CloseButton size="sm" onClick={() => setFilters((f) => ({ ...f, search: '' }))} aria-label="Clear filter" /> : null}
              w={170}
              data-testid="board-search"
            />
            <Select
              placeholder="Any owner"
              aria-label="Owner"
              clearable
              data={[{ value: UNASSIGNED, label: 'Unassigned' }, ...members.map((m) => ({ value: m.id, label: m.name || m.email }))]}
              value={filters.ownerId}
              onChange={(v) => setFilters((f) => ({ ...f, ownerId: v }))}
              w={140}
              data-testid="owner-filter"
            />
            <MultiSelect
              placeholder={filters.labels.length ? undefined : 'Any label'}
              aria-label="Labels"
              clearable
              searchable
              data={labelOptions}
              value={filters.labels}
              onChange={(v) => setFilters((f) => ({ ...f, labels: v }))}
              w={170}
              nothingFoundMessage="No such label"
              data-testid="label-filter"
            />
            <CustomFieldFilter fields={dealFields} value={customFilter} onChange={setCustomFilter} testId="board-custom-filter" />
            {filtersActive && (
              <Button
                variant="subtle"
                size="xs"
                onClick={() => {
                  setFilters({ ownerId: null, labels: [], search: '', status: 'open' });
                  setCustomFilter(null);
                }}
              >
                Reset
              </Button>
            )}
            {dealFields.length > 0 && (
              <Menu position="bottom-end" closeOnItemClick={false} withinPortal>
                <Menu.Target>
                  <ActionIcon variant="default" size={36} aria-label="Card fields" title="Card fields: the custom fields shown on this pipeline's cards" data-testid="card-fields">
                    <IconLayoutCards size={18} stroke={1.6} />
                  </ActionIcon>
                </Menu.Target>
                <Menu.Dropdown data-testid="card-fields-menu">
                  <Menu.Label>Shown on this pipeline's cards</Menu.Label>
                  {dealFields.map((f) => (
                    <Menu.Item
                      key={f.key}
                      onClick={() => toggleCardField(f.key)}
                      leftSection={<Checkbox size="xs" checked={chosenCardKeys.includes(f.key)} onChange={() => undefined} tabIndex={-1} aria-hidden />}
                      role="menuitemcheckbox"
                      aria-checked={chosenCardKeys.includes(f.key)}
                      data-testid={`card-field-${f.key}`}
                    >
                      {f.label}
                    </Menu.Item>
                  ))}
                </Menu.Dropdown>
              </Menu>
            )}
            <SavedViews
              table="board"
              testId="board"
              current={{ filters: { ...filters, custom: customFilter, pipelineId: validPipelineId }, sort: [], columns: chosenCardKeys }}
              onApply={(view) => applyBoardView(view)}
            />
            {canCreate && (
              <Button leftSection={<IconPlus size={16} />} onClick={() => openCreate('deal', { pipelineId: validPipelineId })} data-testid="new-deal">
                New deal
              </Button>
            )}
          </Group>
        </Group>
        <Group gap="lg" mb="sm" data-testid="board-summary">
          <Text size="sm" c="dimmed">
            <Text span fw={600} c="bright" data-testid="board-deal-count">
              {shownCount}
            </Text>{' '}
            {filters.status === 'all' ? '' : filters.status} deals
          </Text>
          {summary.length > 0 && <TotalsLine totals={summary} testId="board-totals" />}
        </Group>

        {loading ? (
          <Group align="flex-start" gap="md" wrap="nowrap" data-testid="board-loading">
            {[0, 1, 2, 3].map((i) => (
              <Skeleton key={i} w={290} h={360} radius="md" />
            ))}
          </Group>
        ) : (
          <DndContext sensors={sensors} collisionDetection={collisions} accessibility={accessibility} onDragStart={onDragStart} onDragEnd={onDragEnd} onDragCancel={() => setDragging(null)}>
            <Box style={{ flex: 1, minHeight: 0, display: 'flex', gap: 12, overflowX: 'auto', alignItems: 'stretch', paddingBottom: 4 }}>
              {columns.map((column) => (
                <BoardColumn
                  key={column.stage.id}
                  column={column}
                  stages={stages}
                  organizationNames={organizationNames}
                  ownerNames={ownerNames}
                  actions={actions}
                  readOnly={!canMove}
                  cardFields={cardFields}
                />
              ))}
            </Box>
            {allDeals.length === 0 && canCreate && (
              <Center py="md">
                <EmptyState icon={<IconLayoutKanban />} title="No deals in this pipeline yet" description="Create a deal, then drag it across the stages as it progresses.">
                  <Button leftSection={<IconPlus size={16} />} onClick={() => openCreate('deal', { pipelineId: validPipelineId })}>
                    Create your first deal
                  </Button>
                </EmptyState>
              </Center>
            )}
            {dragging && (
              <Group mt="sm" gap="md" wrap="nowrap">
                <OutcomeZone outcome="won" />
                <OutcomeZone outcome="lost" />
              </Group>
            )}
            <DragOverlay dropAnimation={null}>
              {dragging ? (
                <DealCardOverlay
                  deal={dragging}
                  organizationName={dragging.organizationId ? (organizationNames.get(dragging.organizationId) ?? null) : null}
                  ownerName={dragging.ownerId ? (ownerNames.get(dragging.ownerId) ?? null) : null}
                  fields={cardFields}
                />
              ) : null}
            </DragOverlay>
          </DndContext>
        )}
        {outcome.modal}
      </Box>
    </DealHealthContext.Provider>
  );
}
