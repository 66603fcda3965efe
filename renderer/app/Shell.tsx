/**
 * The signed-in app: left navigation, header (palette button, workspace, sync indicator), routes,
 * quick create, and the keyboard shortcuts (Ctrl/Cmd+K palette, `g b/o/p/a/r/s` to navigate,
 * `n` new deal on the board, `?` shortcut help).
 */
import { useEffect, useRef } from 'react';
import { AppShell, Badge, Box, Burger, Group, Kbd, Modal, NavLink, Stack, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { useDisclosure, useHotkeys, useMediaQuery } from '@mantine/hooks';
import { spotlight } from '@mantine/spotlight';
import { IconBuilding, IconChartBar, IconKeyboard, IconLayoutKanban, IconSearch, IconSettings, IconTimeline, IconUsers } from '@tabler/icons-react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { useKith } from './KithContext.js';
import { SHORTCUTS } from './shortcuts.js';
import { SyncIndicator } from '../components/SyncIndicator.js';
import { UserMenu } from './UserMenu.js';
import { OverdueCount } from '../components/OverdueCount.js';
import { CommandPalette, PaletteHint } from '../components/CommandPalette.js';
import { QuickCreateProvider, useQuickCreate } from '../components/create/QuickCreate.js';
import { Logo } from '../components/Logo.js';
import { BoardView } from '../views/board/BoardView.js';
import { DealDetail } from '../views/deals/DealDetail.js';
import { DealsView } from '../views/deals/DealsView.js';
import { SettingsView } from '../views/settings/SettingsView.js';
import { NotFound } from '../views/NotFound.js';
import { OrganizationsView } from '../views/organizations/OrganizationsView.js';
import { OrganizationDetail } from '../views/organizations/OrganizationDetail.js';
import { PeopleView } from '../views/people/PeopleView.js';
import { PersonDetail } from '../views/people/PersonDetail.js';
import { ActivitiesView } from '../views/activities/ActivitiesView.js';
import { ReportsView } from '../views/reports/ReportsView.js';
import { ObjectsView } from '../views/objects/ObjectsView.js';
import { ObjectRecordDetail } from '../views/objects/ObjectRecordDetail.js';
import { ImportView } from '../views/import/ImportView.js';
import { DuplicatesView } from '../views/duplicates/DuplicatesView.js';
import { useObjectTypes } from '../components/custom/useCustomFields.js';
import { ObjectTypeIcon } from '../components/ObjectTypeIcon.js';

const NAV = [
  { href: '/', label: 'Board', Icon: IconLayoutKanban, key: 'b', match: (p: string) => p === '/' || p.startsWith('/deals') },
  { href: '/organizations', label: 'Organizations', Icon: IconBuilding, key: 'o', match: (p: string) => p.startsWith('/organizations') },
  { href: '/people', label: 'People', Icon: IconUsers, key: 'p', match: (p: string) => p.startsWith('/people') },
  { href: '/activities', label: 'Activities', Icon: IconTimeline, key: 'a', match: (p: string) => p.startsWith('/activities') },
  { href: '/reports', label: 'Reports', Icon: IconChartBar, key: 'r', match: (p: string) => p.startsWith('/reports') },
  { href: '/settings', label: 'Settings', Icon: IconSettings, key: 's', match: (p: string) => p.startsWith('/settings') },
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/** `g` then a letter navigates (two-key sequences are not in useHotkeys). */
function useGoToShortcuts(navigate: (to: string) => void, showHelp: () => void) {
  const pendingG = useRef(0);
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (event.key === '?') {
        event.preventDefault();
        showHelp();
        return;
      }
      const key = event.key.toLowerCase();
      if (pendingG.current && Date.now() - pendingG.current < 1200) {
        pendingG.current = 0;
        const target = NAV.find((n) => n.key === key);
        if (target) {
          event.preventDefault();
          navigate(target.href);
        }
        return;
      }
      if (key === 'g') pendingG.current = Date.now();
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate, showHelp]);
}

function ShellFrame() {
  const store = useKith();
  const [location, navigate] = useLocation();
  const [navOpened, nav] = useDisclosure(false);
  const [helpOpened, help] = useDisclosure(false);
  const phone = useMediaQuery('(max-width: 36em)') ?? false;
  const { openCreate } = useQuickCreate();
  const { types: objectTypes } = useObjectTypes();
  useGoToShortcuts(navigate, help.open);
  // openCreate opens nothing for whoever may not create deals
  useHotkeys([['n', () => location === '/' && openCreate('deal')]]);
  useEffect(() => {
    // Back online (the OS says so): retry right away instead of waiting for the next backoff.
    const onOnline = () => store.reconnect();
    window.addEventListener('online', onOnline);
    return () => window.removeEventListener('online', onOnline);
  }, [store]);

  const navEntry = ({ href, label, Icon, match, key }: (typeof NAV)[number]) => (
    <NavLink
      key={href}
      component={Link}
      href={href}
      label={label}
      leftSection={<Icon size={18} stroke={1.6} />}
      rightSection={
        <Group gap={6} wrap="nowrap">
          {href === '/activities' && <OverdueCount />}
          <Text size="xs" c="dimmed">
            g {key}
          </Text>
        </Group>
      }
      active={match(location)}
      onClick={nav.close}
      data-testid={`nav-${label.toLowerCase()}`}
      style={{ borderRadius: 6 }}
    />
  );

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !navOpened } }} padding="md" data-testid="app-shell">
      <AppShell.Header>
        <Group h="100%" px={{ base: 'xs', sm: 'md' }} gap="xs" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={navOpened} onClick={nav.toggle} hiddenFrom="sm" size="sm" />
            <Link href="/" style={{ textDecoration: 'none', color: 'inherit' }} aria-label="Kith: the board">
              <Group gap={8} wrap="nowrap" visibleFrom="xs">
                <Logo size={28} />
                <Text fw={700} size="lg">
                  Kith
                </Text>
              </Group>
            </Link>
          </Group>
          {/* on a phone: the search button shrinks to its icon and the workspace name goes, so the sync state stays on screen */}
          <UnstyledButton
            onClick={() => spotlight.open()}
            data-testid="palette-button"
            title="Search or create (Ctrl+K)"
            miw={{ base: 0, sm: 280 }}
            style={{ border: '1px solid var(--kith-border)', borderRadius: 8, padding: '6px 12px', background: 'var(--kith-surface)', flexShrink: 1 }}
          >
            <Group gap="xs" justify="space-between" wrap="nowrap">
              <Group gap={6} wrap="nowrap">
                <IconSearch size={16} color="var(--mantine-color-gray-6)" />
                <Box visibleFrom="sm">
                  <PaletteHint />
                </Box>
              </Group>
            </Group>
          </UnstyledButton>
          <Group gap={6} wrap="nowrap">
            <Tooltip label={`Role: ${store.info.role.toLowerCase()}${store.info.readOnly ? ' (read-only)' : ''}`}>
              <Badge variant="outline" color="gray.7" size="lg" data-testid="workspace-name" visibleFrom="md" styles={{ label: { textTransform: 'none' } }}>
                {store.info.workspaceName}
              </Badge>
            </Tooltip>
            <SyncIndicator />
            {!phone && <UserMenu />}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <Group px="sm" pb="xs" justify="space-between" wrap="nowrap" hiddenFrom="md">
          <Text size="sm" fw={600} c="dimmed" truncate>
            {store.info.workspaceName}
          </Text>
          {/* on a phone the account menu is here, leaving the header to search and the sync state */}
          {phone && <UserMenu />}
        </Group>
        <Stack gap={2} style={{ flex: 1 }}>
          {NAV.slice(0, -1).map(navEntry)}
          {/* each custom object type: its table (and its records) */}
          {objectTypes.map((t) => (
            <NavLink
              key={t.key}
              component={Link}
              href={`/objects/${t.key}`}
              label={t.plural}
              leftSection={<ObjectTypeIcon icon={t.icon} />}
              active={location === `/objects/${t.key}` || location.startsWith(`/objects/${t.key}/`)}
              onClick={nav.close}
              data-testid={`nav-object-${t.key}`}
              style={{ borderRadius: 6 }}
            />
          ))}
          {NAV.slice(-1).map(navEntry)}
        </Stack>
        <NavLink label="Shortcuts" leftSection={<IconKeyboard size={18} stroke={1.6} />} rightSection={<Kbd size="xs">?</Kbd>} onClick={help.open} style={{ borderRadius: 6 }} />
      </AppShell.Navbar>
      <AppShell.Main bg="var(--kith-surface)">
        <Switch>
          <Route path="/" component={BoardView} />
          <Route path="/deals" component={DealsView} />
          <Route path="/deals/:id">{(p) => <DealDetail key={p.id} id={p.id} />}</Route>
          <Route path="/organizations" component={OrganizationsView} />
          <Route path="/organizations/:id">{(p) => <OrganizationDetail key={p.id} id={p.id} />}</Route>
          <Route path="/people" component={PeopleView} />
          <Route path="/people/:id">{(p) => <PersonDetail key={p.id} id={p.id} />}</Route>
          <Route path="/activities" component={ActivitiesView} />
          <Route path="/reports" component={ReportsView} />
          <Route path="/settings" component={SettingsView} />
          <Route path="/settings/import" component={ImportView} />
          <Route path="/duplicates" component={DuplicatesView} />
          <Route path="/objects/:type">{(p) => <ObjectsView key={p.type} type={p.type} />}</Route>
          <Route path="/objects/:type/:id">{(p) => <ObjectRecordDetail key={p.id} type={p.type} id={p.id} />}</Route>
          <Route component={NotFound} />
        </Switch>
      </AppShell.Main>
      <CommandPalette />
      <Modal opened={helpOpened} onClose={help.close} title="Keyboard shortcuts">
        <Table>
          <Table.Tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <Table.Tr key={keys}>
                <Table.Td w={120}>
                  <Kbd>{keys}</Kbd>
                </Table.Td>
                <Table.Td>{what}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Modal>
    </AppShell>
  );
}

export function Shell() {
  return (
    <QuickCreateProvider>
      <ShellFrame />
    </QuickCreateProvider>
  );
}
