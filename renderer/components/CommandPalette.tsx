/**
 * Ctrl/Cmd+K: search deals, organizations and people in the local store (names, emails, website
 * domains, a deal's organization), quick create, and jump to any view. Results are ranked
 * (renderer/lib/paletteSearch.ts) and the best match is always the highlighted one, so Enter opens
 * it — also when the query was pasted or typed faster than the local search answers (an Enter
 * pressed while the search runs waits for it). Keys typed between Ctrl+K and the search box
 * taking focus go into the search box.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Badge, Group, Text } from '@mantine/core';
import { Spotlight, spotlight, type SpotlightActionData, type SpotlightActionGroupData } from '@mantine/spotlight';
import {
  IconArrowMerge,
  IconBuilding,
  IconFileImport,
  IconLayoutKanban,
  IconPlus,
  IconRefresh,
  IconSearch,
  IconSettings,
  IconTargetArrow,
  IconTimeline,
  IconUser,
  IconUsers,
} from '@tabler/icons-react';
import { useLocation } from 'wouter';
import type { DealRecord, OrganizationRecord, PersonRecord } from '../../shared/schemas.js';
import { useKith } from '../app/KithContext.js';
import { useRxQuery } from '../hooks/useRx.js';
import { formatMoney } from '../lib/format.js';
import { rankCandidates, type PaletteCandidate, type PaletteKind } from '../lib/paletteSearch.js';
import { escapeRegex } from './pickers.js';
import { CREATE_COLLECTION, useQuickCreate, type CreateKind } from './create/QuickCreate.js';
import { usePermissions } from '../hooks/usePermissions.js';

const CREATE_KINDS: CreateKind[] = ['deal', 'organization', 'person'];

/** Records fetched per collection before ranking, and shown after it. */
const FETCH = 25;
const SHOWN = 8;

const INPUT_ID = 'kith-palette-input';

/** Opens the palette (the header's search button). */
export function openPalette(): void {
  spotlight.open();
}

/** The local search for `term`: matching records, ranked; `pending` while any of its queries has not answered yet. */
function usePaletteSearch(term: string): { results: ReturnType<typeof rankCandidates>; pending: boolean } {
  const regex = term ? { $regex: escapeRegex(term), $options: 'i' } : null;
  const people = useRxQuery<PersonRecord>('people', regex ? { selector: { $or: [{ name: regex }, { email: regex }] }, limit: FETCH } : null);
  const organizations = useRxQuery<OrganizationRecord>('organizations', regex ? { selector: { $or: [{ name: regex }, { domain: regex }, { website: regex }] }, limit: FETCH } : null);
  const orgIds = useMemo(() => organizations.data.map((o) => o.id).sort(), [organizations.data]);
  const deals = useRxQuery<DealRecord>('deals', regex ? { selector: { $or: [{ title: regex }, ...(orgIds.length ? [{ organizationId: { $in: orgIds } }] : [])] }, limit: FETCH } : null);
  // organization names for the deals and people found (to show, and to match a deal by its organization)
  const relatedOrgIds = useMemo(
    () => [...new Set([...deals.data.map((d) => d.organizationId), ...people.data.map((p) => p.organizationId)].filter((x): x is string => !!x))].sort(),
    [deals.data, people.data],
  );
  const related = useRxQuery<OrganizationRecord>('organizations', relatedOrgIds.length ? { selector: { id: { $in: relatedOrgIds } } } : null);
  const pending = !!term && (people.loading || organizations.loading || deals.loading);
  const results = useMemo(() => {
    if (!term) return [];
    const orgName = new Map([...related.data, ...organizations.data].map((o) => [o.id, o.name]));
    const candidates: PaletteCandidate[] = [
      ...people.data.map((p) => ({
        kind: 'person' as const,
        id: p.id,
        label: p.name,
        also: [p.email],
        description: [p.title, p.email, p.organizationId ? orgName.get(p.organizationId) : null].filter(Boolean).join(' · ') || undefined,
      })),
      ...organizations.data.map((o) => ({ kind: 'organization' as const, id: o.id, label: o.name, also: [o.domain, o.website], description: o.domain ?? undefined })),
      ...deals.data.map((d) => {
        const org = d.organizationId ? orgName.get(d.organizationId) : undefined;
        const status = d.status === 'open' ? 'Open' : d.status === 'won' ? 'Won' : 'Lost';
        return { kind: 'deal' as const, id: d.id, label: d.title, also: [org], description: [org, status, formatMoney(d.amount, d.currency)].filter(Boolean).join(' · ') };
      }),
    ];
    return rankCandidates(term, candidates, SHOWN);
  }, [term, people.data, organizations.data, deals.data, related.data]);
  return { results, pending };
}

const KIND_ICON: Record<PaletteKind, typeof IconUser> = { person: IconUser, organization: IconBuilding, deal: IconTargetArrow };
const KIND_PATH: Record<PaletteKind, string> = { person: 'people', organization: 'organizations', deal: 'deals' };
const KIND_NAME: Record<PaletteKind, string> = { person: 'Person', organization: 'Organization', deal: 'Deal' };

/** Marks the first action as the selected one (what Enter triggers); Mantine's store keeps index 0. */
function selectFirstAction(): HTMLElement | null {
  const input = document.getElementById(INPUT_ID);
  const list = input?.closest('.mantine-Spotlight-content')?.querySelector('.mantine-Spotlight-actionsList');
  if (!list) return null;
  list.querySelectorAll('[data-selected]').forEach((el) => el.removeAttribute('data-selected'));
  const first = list.querySelector<HTMLElement>('[data-action]');
  first?.setAttribute('data-selected', 'true');
  return first;
}

export function CommandPalette() {
  const store = useKith();
  const [, navigate] = useLocation();
  const { openCreate } = useQuickCreate();
  const { can } = usePermissions();
  const canCreateAny = CREATE_KINDS.some((kind) => can('create', CREATE_COLLECTION[kind]));
  const [query, setQuery] = useState('');
  const term = query.trim();
  const { results, pending } = usePaletteSearch(term);
  const enterWaiting = useRef(false);
  /** when Ctrl+K opened the palette and its search box has not had focus yet (0: not opening) */
  const opening = useRef(0);

  const actions = useMemo(() => {
    const groups: SpotlightActionGroupData[] = [];
    const icon = (Icon: typeof IconUser) => <Icon size={18} stroke={1.6} />;
    if (results.length) {
      groups.push({
        group: 'Best matches',
        actions: results.map((r) => ({
          id: `${r.kind}-${r.id}`,
          label: r.label,
          description: r.description ? `${KIND_NAME[r.kind]} · ${r.description}` : KIND_NAME[r.kind],
          leftSection: icon(KIND_ICON[r.kind]),
          'data-kind': r.kind,
          onClick: () => navigate(`/${KIND_PATH[r.kind]}/${r.id}`),
        })),
      });
    }
    const name = term || undefined;
    const create: SpotlightActionData[] = CREATE_KINDS.filter((kind) => can('create', CREATE_COLLECTION[kind])).map((kind) => ({
      id: `new-${kind}`,
      label: term ? `New ${kind} “${term}”` : `New ${kind}`,
      leftSection: icon(IconPlus),
      onClick: () => openCreate(kind, { name }),
    }));
    const go = [
      { id: 'go-board', label: 'Pipeline board', description: 'g b', leftSection: icon(IconLayoutKanban), onClick: () => navigate('/') },
      { id: 'go-organizations', label: 'Organizations', description: 'g o', leftSection: icon(IconBuilding), onClick: () => navigate('/organizations') },
      { id: 'go-people', label: 'People', description: 'g p', leftSection: icon(IconUsers), onClick: () => navigate('/people') },
      { id: 'go-activities', label: 'Activities and follow-ups', description: 'g a', leftSection: icon(IconTimeline), onClick: () => navigate('/activities') },
      { id: 'go-settings', label: 'Settings', description: 'g s', leftSection: icon(IconSettings), onClick: () => navigate('/settings') },
      { id: 'go-duplicates', label: 'Duplicates to merge', leftSection: icon(IconArrowMerge), onClick: () => navigate('/duplicates') },
      ...(CREATE_KINDS.some((kind) => can('create', CREATE_COLLECTION[kind]))
        ? [{ id: 'go-import', label: 'Import records from a file', leftSection: icon(IconFileImport), onClick: () => navigate('/settings/import') }]
        : []),
      { id: 'sync-now', label: 'Sync now', leftSection: icon(IconRefresh), onClick: () => store.reconnect() },
    ];
    const lower = term.toLowerCase();
    const matchingGo = term ? go.filter((a) => a.label.toLowerCase().includes(lower)) : go;
    // a record or a view that matches comes before creating one
    if (term && matchingGo.length) groups.push({ group: 'Go to', actions: matchingGo });
    groups.push({ group: 'Create', actions: create });
    if (!term) groups.push({ group: 'Go to', actions: go });
    return groups.filter((g) => g.actions.length > 0);
  }, [term, results, navigate, openCreate, can, store]);

  // Whenever the results for a term arrive, the best one is the highlighted one; an Enter pressed
  // while they were on their way opens it now.
  useLayoutEffect(() => {
    if (pending) return;
    const first = selectFirstAction();
    if (enterWaiting.current) {
      enterWaiting.current = false;
      first?.click();
    }
  }, [actions, pending]);

  const onSearchKeyDown = useCallback(
    (event: React.KeyboardEvent<HTMLInputElement>) => {
      if ((event.key === 'Enter' || event.code === 'NumpadEnter') && pending) {
        // Mantine triggers the selected action next: select nothing, and trigger once the results are here
        enterWaiting.current = true;
        document
          .getElementById(INPUT_ID)
          ?.closest('.mantine-Spotlight-content')
          ?.querySelectorAll('[data-selected]')
          .forEach((el) => el.removeAttribute('data-selected'));
      }
    },
    [pending],
  );

  // Ctrl/Cmd+K opens the palette from anywhere, inside a text field too. Characters typed between
  // Ctrl+K and the search box taking focus would go to the page (or to the field): they go into the
  // search box instead.
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        event.stopPropagation();
        opening.current = Date.now();
        spotlight.open();
        return;
      }
      if (!opening.current) return;
      const input = document.getElementById(INPUT_ID) as HTMLInputElement | null;
      if ((input && document.activeElement === input) || event.key === 'Escape' || Date.now() - opening.current > 3000) {
        opening.current = 0;
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
      event.preventDefault();
      event.stopPropagation();
      setQuery((q) => q + event.key);
      if (input) {
        input.focus();
        requestAnimationFrame(() => input.setSelectionRange(input.value.length, input.value.length));
      }
    }
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  return (
    <Spotlight
      actions={actions}
      query={query}
      onQueryChange={setQuery}
      filter={(_q, a) => a}
      shortcut={null}
      nothingFound="Nothing found"
      highlightQuery
      scrollable
      maxHeight={480}
      onSpotlightOpen={() => {
        if (!opening.current) opening.current = Date.now();
      }}
      onSpotlightClose={() => {
        opening.current = 0;
        enterWaiting.current = false;
      }}
      searchProps={
        {
          id: INPUT_ID,
          leftSection: <IconSearch size={18} stroke={1.5} />,
          placeholder: canCreateAny ? 'Search deals, organizations, people… or create' : 'Search deals, organizations, people…',
          'aria-label': 'Search or run a command',
          'data-testid': 'palette-input',
          'data-pending': pending ? 'true' : 'false',
          onKeyDown: onSearchKeyDown,
        } as any
      }
    />
  );
}

export function PaletteHint() {
  const { can } = usePermissions();
  const canCreateAny = CREATE_KINDS.some((kind) => can('create', CREATE_COLLECTION[kind]));
  const mac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
  return (
    <Group gap={4} wrap="nowrap">
      <Text size="xs" c="dimmed">
        {canCreateAny ? 'Search or create' : 'Search'}
      </Text>
      <Badge size="xs" variant="default">
        {mac ? '⌘' : 'Ctrl'} K
      </Badge>
    </Group>
  );
}
