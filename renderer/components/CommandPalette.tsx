/**
 * Ctrl/Cmd+K: search deals, organizations and people in the local store, quick create, and jump
 * to any view.
 */
import { useMemo, useState } from 'react';
import { Badge, Group, Text } from '@mantine/core';
import { Spotlight, type SpotlightActionGroupData } from '@mantine/spotlight';
import { IconBuilding, IconLayoutKanban, IconPlus, IconRefresh, IconSearch, IconSettings, IconTargetArrow, IconTimeline, IconUser, IconUsers } from '@tabler/icons-react';
import { useLocation } from 'wouter';
import type { DealRecord, OrganizationRecord, PersonRecord } from '../../shared/schemas.js';
import { useKith } from '../app/KithContext.js';
import { useRxQuery } from '../hooks/useRx.js';
import { formatMoney } from '../lib/format.js';
import { escapeRegex } from './pickers.js';
import { CREATE_COLLECTION, useQuickCreate, type CreateKind } from './create/QuickCreate.js';
import { usePermissions } from '../hooks/usePermissions.js';

const CREATE_KINDS: CreateKind[] = ['deal', 'organization', 'person'];

const LIMIT = 6;

export function CommandPalette() {
  const store = useKith();
  const [, navigate] = useLocation();
  const { openCreate } = useQuickCreate();
  const { can } = usePermissions();
  const canCreateAny = CREATE_KINDS.some((kind) => can('create', CREATE_COLLECTION[kind]));
  const [query, setQuery] = useState('');
  const term = query.trim();
  const regex = term ? { $regex: escapeRegex(term), $options: 'i' } : null;
  const deals = useRxQuery<DealRecord>('deals', regex ? { selector: { title: regex }, limit: LIMIT } : null);
  const organizations = useRxQuery<OrganizationRecord>('organizations', regex ? { selector: { name: regex }, limit: LIMIT } : null);
  const people = useRxQuery<PersonRecord>('people', regex ? { selector: { name: regex }, limit: LIMIT } : null);

  const actions = useMemo(() => {
    const groups: SpotlightActionGroupData[] = [];
    const icon = (Icon: typeof IconUser) => <Icon size={18} stroke={1.6} />;
    if (term) {
      if (deals.data.length) {
        groups.push({
          group: 'Deals',
          actions: deals.data.map((d) => ({
            id: `deal-${d.id}`,
            label: d.title,
            description: `${d.status === 'open' ? 'Open' : d.status === 'won' ? 'Won' : 'Lost'} · ${formatMoney(d.amount, d.currency)}`,
            leftSection: icon(IconTargetArrow),
            onClick: () => navigate(`/deals/${d.id}`),
          })),
        });
      }
      if (organizations.data.length) {
        groups.push({
          group: 'Organizations',
          actions: organizations.data.map((o) => ({
            id: `org-${o.id}`,
            label: o.name,
            description: o.domain ?? undefined,
            leftSection: icon(IconBuilding),
            onClick: () => navigate(`/organizations/${o.id}`),
          })),
        });
      }
      if (people.data.length) {
        groups.push({
          group: 'People',
          actions: people.data.map((p) => ({
            id: `person-${p.id}`,
            label: p.name,
            description: [p.title, p.email].filter(Boolean).join(' · ') || undefined,
            leftSection: icon(IconUser),
            onClick: () => navigate(`/people/${p.id}`),
          })),
        });
      }
    }
    const name = term || undefined;
    const create = CREATE_KINDS.filter((kind) => can('create', CREATE_COLLECTION[kind])).map((kind) => ({
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
      { id: 'sync-now', label: 'Sync now', leftSection: icon(IconRefresh), onClick: () => store.reconnect() },
    ];
    const lower = term.toLowerCase();
    const matchingGo = term ? go.filter((a) => a.label.toLowerCase().includes(lower)) : go;
    groups.push({ group: 'Create', actions: create });
    if (matchingGo.length) groups.push({ group: term ? 'Go to' : 'Go to', actions: matchingGo });
    return groups.filter((g) => g.actions.length > 0);
  }, [term, deals.data, organizations.data, people.data, navigate, openCreate, can, store]);

  return (
    <Spotlight
      actions={actions}
      query={query}
      onQueryChange={setQuery}
      filter={(_q, a) => a}
      shortcut={['mod + K']}
      nothingFound="Nothing found"
      highlightQuery
      scrollable
      maxHeight={480}
      searchProps={
        {
          leftSection: <IconSearch size={18} stroke={1.5} />,
          placeholder: canCreateAny ? 'Search deals, organizations, people… or create' : 'Search deals, organizations, people…',
          'data-testid': 'palette-input',
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
