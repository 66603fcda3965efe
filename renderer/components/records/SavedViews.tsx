/**
 * The "Views" control of every table and the board (issue 15, item 2): saved views are records of
 * the synced `views` collection (shared/entities/views.ts), read from and written to the local store
 * first, so they work offline. The menu lists the table's shared views and the user's own, applies
 * one (its name shows on the button), saves the current filters, sort and columns as a new view
 * (personal or shared), and — for the view's owner or a workspace owner, as the server allows —
 * updates it with the current state, renames, shares or deletes it. Whoever may not write (viewers,
 * read-only keys) picks views but is offered no change. Keyboard: the menu is a menu (arrows,
 * Enter, Esc); the dialogs take Enter.
 *
 * The active view is remembered per table on this device; a page opened afresh (a reload) applies
 * it again once the view is in the local store.
 */
import { Badge, Button, Checkbox, Group, Menu, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useLocalStorage } from '@mantine/hooks';
import { IconBookmark, IconCheck, IconDeviceFloppy, IconPencil, IconPlus, IconTrash, IconUsers, IconX } from '@tabler/icons-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ViewRecord } from '../../../shared/entities/views.js';
import { mayChangeRecord, visibleTo } from '../../../shared/permissions.js';
import { useKith } from '../../app/KithContext.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { useSave } from '../forms.js';

/** What a view holds: the page's filters, its sort keys and its visible columns. */
export interface ViewState {
  filters: Record<string, unknown>;
  sort: ViewRecord['sort'];
  columns: string[];
}

export interface SavedViewsProps {
  /** people, organizations, deals, board, or a custom object type key */
  table: string;
  /** prefix of the data-testids: `<testId>-views`, `<testId>-views-menu`, … */
  testId: string;
  /** the page's state now */
  current: ViewState;
  /** puts a view's state on the page */
  onApply(state: ViewState): void;
}

/** The page just opened (not a return within the session): the remembered active view is applied again. */
const appliedThisSession = new Set<string>();

const sameState = (a: ViewState, b: ViewState) => JSON.stringify([a.filters, a.sort, a.columns]) === JSON.stringify([b.filters, b.sort, b.columns]);
const stateOf = (v: ViewRecord): ViewState => ({ filters: v.filters, sort: v.sort, columns: v.columns });

type Dialog = { kind: 'new' } | { kind: 'rename'; view: ViewRecord } | { kind: 'delete'; view: ViewRecord } | null;

export function SavedViews({ table, testId, current, onApply }: SavedViewsProps) {
  const store = useKith();
  const { workspaceId, userId } = store.info;
  const { access, can } = usePermissions();
  const { save } = useSave();
  const { data } = useRxQuery<ViewRecord>('views', { selector: { table } });
  const views = useMemo(() => data.filter((v) => !v.archivedAt && visibleTo('views', v, userId)).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)), [data, userId]);
  const [activeId, setActiveId] = useLocalStorage<string | null>({ key: `kith.view.${workspaceId}.${table}`, defaultValue: null, getInitialValueInEffect: false });
  const active = views.find((v) => v.id === activeId) ?? null;
  const [dialog, setDialog] = useState<Dialog>(null);
  const actor = { ...access, userId };
  const mayChange = (v: ViewRecord, action: 'update' | 'delete') => mayChangeRecord(actor, action, 'views', v as unknown as Record<string, unknown>);
  const canSave = can('create', 'views');
  const edited = active !== null && !sameState(stateOf(active), current);

  // a fresh page (a reload) shows the remembered view again, once it is in the local store
  const key = `${workspaceId}:${table}`;
  const onApplyRef = useRef(onApply);
  onApplyRef.current = onApply;
  useEffect(() => {
    if (appliedThisSession.has(key) || !active) return;
    appliedThisSession.add(key);
    onApplyRef.current(stateOf(active));
  }, [key, active]);

  const choose = (v: ViewRecord) => {
    appliedThisSession.add(key);
    setActiveId(v.id);
    onApply(stateOf(v));
  };

  const shared = views.filter((v) => v.shared);
  const personal = views.filter((v) => !v.shared);
  const item = (v: ViewRecord) => (
    <Menu.Item
      key={v.id}
      onClick={() => choose(v)}
      leftSection={v.id === activeId ? <IconCheck size={14} /> : <span style={{ width: 14, display: 'inline-block' }} />}
      data-testid={`${testId}-view-${v.id}`}
      aria-current={v.id === activeId ? 'true' : undefined}
    >
      {v.name}
    </Menu.Item>
  );

  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button
            variant={active ? 'light' : 'default'}
            leftSection={<IconBookmark size={16} />}
            data-testid={`${testId}-views`}
            aria-label={active ? `Views: ${active.name}${edited ? ' (changed)' : ''}` : 'Views'}
            maw={260}
          >
            <Text span size="sm" truncate data-testid={`${testId}-active-view`}>
              {active ? active.name : 'Views'}
            </Text>
            {edited && (
              <Text span c="dimmed" ml={4} aria-hidden>
                •
              </Text>
            )}
          </Button>
        </Menu.Target>
        <Menu.Dropdown data-testid={`${testId}-views-menu`} miw={240}>
          {views.length === 0 && <Menu.Label>No saved views yet</Menu.Label>}
          {shared.length > 0 && <Menu.Label>Shared with the workspace</Menu.Label>}
          {shared.map(item)}
          {personal.length > 0 && <Menu.Label>Only you</Menu.Label>}
          {personal.map(item)}
          {(canSave || active) && <Menu.Divider />}
          {canSave && (
            <Menu.Item leftSection={<IconPlus size={14} />} onClick={() => setDialog({ kind: 'new' })} data-testid={`${testId}-view-save-new`}>
              Save as new view…
            </Menu.Item>
          )}
          {active && mayChange(active, 'update') && (
            <>
              <Menu.Item
                leftSection={<IconDeviceFloppy size={14} />}
                disabled={!edited}
                onClick={() => void save(() => store.update('views', active.id, { ...current }), { success: `View “${active.name}” updated` })}
                data-testid={`${testId}-view-update`}
              >
                Update “{active.name}”
              </Menu.Item>
              <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setDialog({ kind: 'rename', view: active })} data-testid={`${testId}-view-rename`}>
                Rename or share…
              </Menu.Item>
            </>
          )}
          {active && mayChange(active, 'delete') && (
            <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setDialog({ kind: 'delete', view: active })} data-testid={`${testId}-view-delete`}>
              Delete “{active.name}”…
            </Menu.Item>
          )}
          {active && (
            <Menu.Item leftSection={<IconX size={14} />} onClick={() => setActiveId(null)} data-testid={`${testId}-view-leave`}>
              Stop using this view
            </Menu.Item>
          )}
        </Menu.Dropdown>
      </Menu>
      {dialog?.kind === 'delete' ? (
        <Modal opened onClose={() => setDialog(null)} title={`Delete the view “${dialog.view.name}”?`} data-testid={`${testId}-view-delete-dialog`}>
          <Stack>
            <Text size="sm">{dialog.view.shared ? 'It is shared: it goes for everyone in the workspace.' : 'Only you use it.'} The table itself stays as it is.</Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setDialog(null)}>
                Cancel
              </Button>
              <Button
                color="red"
                data-autofocus
                data-testid={`${testId}-view-delete-confirm`}
                onClick={() => {
                  const view = dialog.view;
                  setDialog(null);
                  if (view.id === activeId) setActiveId(null);
                  void save(() => store.remove('views', view.id), { success: `View “${view.name}” deleted` });
                }}
              >
                Delete
              </Button>
            </Group>
          </Stack>
        </Modal>
      ) : dialog ? (
        <ViewDialog
          testId={testId}
          view={dialog.kind === 'rename' ? dialog.view : null}
          onClose={() => setDialog(null)}
          onSubmit={async (name, isShared) => {
            if (dialog.kind === 'rename') {
              const done = await save(() => store.update('views', dialog.view.id, { name, shared: isShared }), { success: `View “${name}” saved` });
              if (done) setDialog(null);
              return;
            }
            const created = await save(() => store.create('views', { name, table, shared: isShared, ...current }), { success: `View “${name}” saved` });
            if (created) {
              appliedThisSession.add(key);
              setActiveId(String(created.id));
              setDialog(null);
            }
          }}
        />
      ) : null}
    </>
  );
}

/** Name a new view (or rename one) and choose whether the workspace sees it. Enter saves. */
function ViewDialog({ testId, view, onClose, onSubmit }: { testId: string; view: ViewRecord | null; onClose(): void; onSubmit(name: string, shared: boolean): Promise<void> }) {
  const [name, setName] = useState(view?.name ?? '');
  const [shared, setShared] = useState(view?.shared ?? false);
  const [busy, setBusy] = useState(false);
  const error = name.trim() === '' ? 'A view needs a name' : null;
  const submit = async () => {
    if (error || busy) return;
    setBusy(true);
    try {
      await onSubmit(name.trim(), shared);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened onClose={onClose} title={view ? `Rename or share “${view.name}”` : 'Save the current filters, sort and columns'} data-testid={`${testId}-view-dialog`}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack>
          <TextInput label="Name" data-autofocus value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} data-testid={`${testId}-view-name`} required />
          <Checkbox
            label={
              <Group gap={6} wrap="nowrap">
                <IconUsers size={14} />
                Share with the workspace
              </Group>
            }
            description={shared ? 'Everyone in the workspace sees it; only you and workspace owners change it.' : 'Only you see it.'}
            checked={shared}
            onChange={(e) => setShared(e.currentTarget.checked)}
            data-testid={`${testId}-view-shared`}
          />
          <Group justify="space-between">
            {view && !view.shared && shared ? (
              <Badge variant="light" color="blue">
                will be shared
              </Badge>
            ) : (
              <span />
            )}
            <Group gap="sm">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={busy} disabled={!!error} data-testid={`${testId}-view-submit`}>
                Save view
              </Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
