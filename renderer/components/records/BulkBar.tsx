/**
 * The selection bar of a record table (SPEC §3 "Bulk operations", §6 "bulk select and bulk
 * actions"): the count, "select all N matching", and the actions the server's bulk operation
 * (`POST /crm/<collection>/bulk`, `POST /crm/objects/:type/records/bulk`, docs/merge-bulk.md) offers — archive / restore, add or remove a
 * label, set the owner, delete (owners), and for deals move to a stage and set the status.
 *
 * Each action first runs as a dry run, so the dialog says how many records it will change (and
 * which it would refuse), then for real; the bar then offers Undo (`POST
 * /crm/operations/:operationId/undo`). The records are sent by id — the rows the table shows and
 * has selected, whatever filter selected them — in operations of at most 10,000 (the server's
 * limit); a larger selection is several operations, undone together. The changed records come
 * back through sync like any server change. Bulk runs on the server, so offline the actions are
 * disabled with that reason; who may not do an action is never offered it.
 */
import { Alert, Autocomplete, Button, Group, Menu, Modal, Paper, Progress, Select, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconArchive, IconArchiveOff, IconArrowBackUp, IconChevronDown, IconDownload, IconTag, IconTrash, IconUser, IconX } from '@tabler/icons-react';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { CollectionName } from '../../../shared/collections.js';
import type { PipelineRecord, StageRecord } from '../../../shared/schemas.js';
import { crmSend } from '../../app/connection.js';
import { useSession } from '../../app/session.js';
import { useMembers } from '../../hooks/useMembers.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { useRxQuery, useSyncStatus } from '../../hooks/useRx.js';
import type { Permission } from '../../lib/permissions.js';
import { errorMessage } from '../forms.js';
import { PermittedButton } from '../Permitted.js';

/** The tables whose collection has a bulk route (server/domain/bulk.ts BULK_COLLECTIONS; activities have no table). */
const BULK_TABLES: readonly string[] = ['organizations', 'people', 'deals'];

/** Where a table's bulk actions go, and which permission rules apply to them. */
export interface BulkTarget {
  /** the bulk route under /crm */
  path: string;
  /** the collection whose permissions apply */
  collection: CollectionName;
}

/**
 * A table's bulk target (its `entity`: a collection, or `objects-<type>` for a custom object
 * type's records), and whether to offer selection at all: not to who may change none of its
 * records (a viewer exports from the table's own Export CSV).
 */
export function useBulkTable(entity: string): { target: BulkTarget | null; selectable: boolean } {
  const { can } = usePermissions();
  const target = useMemo<BulkTarget | null>(
    () =>
      BULK_TABLES.includes(entity)
        ? { path: `/${entity}/bulk`, collection: entity as CollectionName }
        : entity.startsWith('objects-')
          ? { path: `/objects/${encodeURIComponent(entity.slice('objects-'.length))}/records/bulk`, collection: 'records' }
          : null,
    [entity],
  );
  const selectable = !!target && (can('update', target.collection) || can('archive', target.collection) || can('restore', target.collection));
  return { target, selectable };
}
/** Records one server operation may touch (server/domain/bulk.ts BULK_MAX). */
const CHUNK = 10_000;

interface BulkRow {
  id: string;
  archivedAt?: string | null;
  labels?: string[] | null;
  pipelineId?: string;
}

type Kind = 'archive' | 'restore' | 'addLabels' | 'removeLabels' | 'owner' | 'moveStage' | 'status' | 'delete';

interface Outcome {
  matched: number;
  changed: number;
  errors: { id: string; path: string; message: string }[];
  operationIds: string[];
}

interface Done {
  text: string;
  operationIds: string[];
  undone?: string;
}

const VERB: Record<Kind, { title: string; done: string }> = {
  archive: { title: 'Archive', done: 'Archived' },
  restore: { title: 'Restore', done: 'Restored' },
  addLabels: { title: 'Add a label to', done: 'Labelled' },
  removeLabels: { title: 'Remove a label from', done: 'Unlabelled' },
  owner: { title: 'Set the owner of', done: 'Changed the owner of' },
  moveStage: { title: 'Move', done: 'Moved' },
  status: { title: 'Set the status of', done: 'Changed the status of' },
  delete: { title: 'Delete', done: 'Deleted' },
};

const fmt = (n: number) => n.toLocaleString('en-US');

/** The request body's action and values; null while the dialog still needs a value. */
function request(kind: Kind, value: string | null, lostReason = ''): { action: string; values?: Record<string, unknown> } | null {
  switch (kind) {
    case 'archive':
    case 'restore':
    case 'delete':
      return { action: kind };
    case 'addLabels':
    case 'removeLabels':
      return value ? { action: kind, values: { labels: [value] } } : null;
    case 'owner':
      return value === null ? null : { action: 'update', values: { ownerId: value || null } };
    case 'moveStage':
      return value ? { action: 'moveStage', values: { stage: value } } : null;
    case 'status':
      if (value === 'lost') return { action: 'update', values: { status: value, lostReason: lostReason.trim() || null } };
      return value ? { action: 'update', values: { status: value } } : null;
  }
}

export interface BulkBarProps<T extends BulkRow> {
  /** null for tables whose records the server has no bulk operation for (custom objects) */
  target: BulkTarget;
  noun: { one: string; many: string };
  selected: readonly T[];
  /** rows matching the table's filters */
  matching: number;
  onSelectAll(): void;
  onClear(): void;
  /** labels to suggest */
  labels: readonly string[];
  /** exports the selected rows */
  onExport(): void;
  exporting: boolean;
}

export function BulkBar<T extends BulkRow>(props: BulkBarProps<T>) {
  const { target, noun, selected } = props;
  const collection = target.collection;
  const { connection } = useSession();
  const { check, can } = usePermissions();
  const offline = useSyncStatus().state === 'offline';
  const [dialog, setDialog] = useState<Kind | null>(null);
  const [done, setDone] = useState<Done | null>(null);
  const [undoing, setUndoing] = useState(false);
  const count = selected.length;
  const many = (n: number) => `${fmt(n)} ${n === 1 ? noun.one : noun.many}`;

  const undo = async () => {
    if (!done) return;
    setUndoing(true);
    try {
      let changed = 0;
      let skipped = 0;
      for (const id of [...done.operationIds].reverse()) {
        const r = await crmSend<{ changed: number; skipped: unknown[] }>(connection, 'POST', `/operations/${id}/undo`);
        changed += r.changed;
        skipped += r.skipped.length;
      }
      setDone({ ...done, undone: `Undone: ${many(changed)} changed back${skipped ? `; ${fmt(skipped)} fields left as they are because they changed since` : ''}.` });
    } catch (error) {
      notifications.show({ color: 'red', title: 'Could not undo', message: errorMessage(error), autoClose: 6000 });
    } finally {
      setUndoing(false);
    }
  };

  const result = done && (
    <Alert
      variant="light"
      color={done.undone ? 'gray' : 'teal'}
      data-testid="bulk-result"
      withCloseButton
      closeButtonLabel="Dismiss"
      onClose={() => setDone(null)}
      py={6}
      styles={{ body: { justifyContent: 'center' }, closeButton: { alignSelf: 'center' }, wrapper: { alignItems: 'center' } }}
    >
      <Group justify="space-between" gap="sm">
        <Text size="sm">{done.undone ?? done.text}</Text>
        {!done.undone && done.operationIds.length > 0 && (
          <PermittedButton
            permission={offline ? { allowed: false, reason: 'Undo runs on the server, and you are offline' } : { allowed: true, reason: null }}
            size="xs"
            variant="default"
            leftSection={<IconArrowBackUp size={14} />}
            loading={undoing}
            onClick={() => void undo()}
            data-testid="bulk-undo"
          >
            Undo
          </PermittedButton>
        )}
      </Group>
    </Alert>
  );

  if (count === 0) return result || null;

  const anyActive = selected.some((r) => !r.archivedAt);
  const anyArchived = selected.some((r) => r.archivedAt);
  const rules = collection;
  const canUpdate = can('update', rules);
  const why = (permission: Permission): Permission => (permission.allowed && offline ? { allowed: false, reason: 'Bulk actions run on the server, and you are offline' } : permission);
  const button = (kind: Kind, label: string, icon: ReactNode, permission: Permission, testId: string) => (
    <PermittedButton permission={why(permission)} size="xs" variant="default" leftSection={icon} onClick={() => setDialog(kind)} data-testid={testId}>
      {label}
    </PermittedButton>
  );
  const allowed: Permission = { allowed: true, reason: null };

  return (
    <Stack gap="xs">
      {result}
      <Paper withBorder radius="md" px="sm" py={6} data-testid="bulk-bar" role="region" aria-label="Selected records">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Group gap="xs" wrap="wrap">
            <Text size="sm" fw={600} data-testid="bulk-count">
              {many(count)} selected
            </Text>
            {count < props.matching && (
              <Button size="compact-sm" variant="subtle" onClick={props.onSelectAll} data-testid="bulk-select-all">
                Select all {fmt(props.matching)} matching
              </Button>
            )}
            <Button size="compact-sm" variant="subtle" color="gray" leftSection={<IconX size={14} />} onClick={props.onClear} data-testid="bulk-clear">
              Clear
            </Button>
          </Group>
          <Group gap="xs" wrap="wrap">
            {can('archive', rules) || can('restore', rules) || canUpdate ? (
              <>
                {anyActive && button('archive', 'Archive', <IconArchive size={14} />, check('archive', rules), 'bulk-archive')}
                {anyArchived && button('restore', 'Restore', <IconArchiveOff size={14} />, check('restore', rules), 'bulk-restore')}
                {canUpdate && !why(allowed).allowed && (
                  <PermittedButton permission={why(allowed)} size="xs" variant="default" rightSection={<IconChevronDown size={14} />} data-testid="bulk-more">
                    Change
                  </PermittedButton>
                )}
                {canUpdate && why(allowed).allowed && (
                  <Menu position="bottom-end" withinPortal>
                    <Menu.Target>
                      <Button size="xs" variant="default" rightSection={<IconChevronDown size={14} />} data-testid="bulk-more">
                        Change
                      </Button>
                    </Menu.Target>
                    <Menu.Dropdown>
                      <Menu.Item leftSection={<IconTag size={14} />} onClick={() => setDialog('addLabels')} data-testid="bulk-add-label">
                        Add a label
                      </Menu.Item>
                      <Menu.Item leftSection={<IconTag size={14} />} onClick={() => setDialog('removeLabels')} data-testid="bulk-remove-label">
                        Remove a label
                      </Menu.Item>
                      <Menu.Item leftSection={<IconUser size={14} />} onClick={() => setDialog('owner')} data-testid="bulk-owner">
                        Set owner
                      </Menu.Item>
                      {collection === 'deals' && (
                        <>
                          <Menu.Item onClick={() => setDialog('moveStage')} data-testid="bulk-move-stage">
                            Move to stage
                          </Menu.Item>
                          <Menu.Item onClick={() => setDialog('status')} data-testid="bulk-status">
                            Set status
                          </Menu.Item>
                        </>
                      )}
                    </Menu.Dropdown>
                  </Menu>
                )}
                {can('delete', rules) && button('delete', 'Delete', <IconTrash size={14} />, allowed, 'bulk-delete')}
              </>
            ) : null}
            <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} onClick={props.onExport} loading={props.exporting} data-testid="bulk-export">
              Export selected
            </Button>
          </Group>
        </Group>
      </Paper>
      {dialog && (
        <BulkDialog
          kind={dialog}
          target={target}
          noun={noun}
          rows={selected}
          labels={props.labels}
          onClose={() => setDialog(null)}
          onDone={(outcome, text) => {
            setDialog(null);
            props.onClear();
            setDone({ text, operationIds: outcome.operationIds });
          }}
        />
      )}
    </Stack>
  );
}

/** Runs one bulk request over `ids`, CHUNK ids at a time, adding up the answers. */
async function runBulk(
  connection: ReturnType<typeof useSession>['connection'],
  target: BulkTarget,
  ids: readonly string[],
  body: { action: string; values?: Record<string, unknown> },
  dryRun: boolean,
  onProgress: (done: number) => void,
): Promise<Outcome> {
  const outcome: Outcome = { matched: 0, changed: 0, errors: [], operationIds: [] };
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = ids.slice(start, start + CHUNK);
    const r = await crmSend<{ matched: number; changed: number; operationId: string | null; errors: Outcome['errors'] }>(connection, 'POST', target.path, { ...body, ids: chunk, dryRun });
    outcome.matched += r.matched;
    outcome.changed += r.changed;
    outcome.errors.push(...r.errors);
    if (r.operationId && r.changed > 0) outcome.operationIds.push(r.operationId);
    onProgress(start + chunk.length);
  }
  return outcome;
}

function BulkDialog<T extends BulkRow>(props: {
  kind: Kind;
  target: BulkTarget;
  noun: { one: string; many: string };
  rows: readonly T[];
  labels: readonly string[];
  onClose(): void;
  onDone(outcome: Outcome, text: string): void;
}) {
  const { kind, target, noun } = props;
  const { connection } = useSession();
  const { members } = useMembers();
  const [value, setValue] = useState<string | null>(null);
  // a label being typed is checked once typing pauses
  const [typed, setTyped] = useState('');
  const [settled] = useDebouncedValue(typed, 300);
  // the reason deals are lost for, kept on each of them (as a single deal's Lost dialog does)
  const [reason, setReason] = useState('');
  const [settledReason] = useDebouncedValue(reason, 300);
  useEffect(() => {
    if (kind === 'addLabels') setValue(settled.trim() || null);
  }, [kind, settled]);
  const [check, setCheck] = useState<{ value: string | null; outcome: Outcome } | null>(null);
  const [progress, setProgress] = useState<{ what: string; done: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // the rows the action is about: archive the active ones, restore the archived ones
  const rows = useMemo(() => (kind === 'archive' ? props.rows.filter((r) => !r.archivedAt) : kind === 'restore' ? props.rows.filter((r) => r.archivedAt) : props.rows), [kind, props.rows]);
  const ids = useMemo(() => rows.map((r) => r.id), [rows]);
  const body = request(kind, value, settledReason);
  const many = (n: number) => `${fmt(n)} ${n === 1 ? noun.one : noun.many}`;
  const pipelines = useRxQuery<PipelineRecord>('pipelines', { selector: {} }).data;
  const stages = useRxQuery<StageRecord>('stages', { selector: {} }).data;

  // the dry run, again whenever the value changes
  const bodyKey = JSON.stringify(body);
  useEffect(() => {
    if (!body) return;
    let cancelled = false;
    setCheck(null);
    setError(null);
    setProgress({ what: 'Checking', done: 0 });
    runBulk(connection, target, ids, body, true, (done) => !cancelled && setProgress({ what: 'Checking', done }))
      .then((outcome) => !cancelled && setCheck({ value, outcome }))
      .catch((e) => !cancelled && setError(errorMessage(e)))
      .finally(() => !cancelled && setProgress(null));
    return () => {
      cancelled = true;
    };
  }, [bodyKey, ids, connection, target]); // eslint-disable-line react-hooks/exhaustive-deps

  const run = async () => {
    // the reason as typed, even if its debounced dry run has not caught up
    const final = request(kind, value, reason);
    if (!final) return;
    setError(null);
    setProgress({ what: 'Changing', done: 0 });
    try {
      const outcome = await runBulk(connection, target, ids, final, false, (done) => setProgress({ what: 'Changing', done }));
      const refused = outcome.errors.length ? `; ${fmt(new Set(outcome.errors.map((e) => e.id)).size)} refused` : '';
      props.onDone(outcome, `${VERB[kind].done} ${many(outcome.changed)}${refused}.`);
    } catch (e) {
      setError(errorMessage(e));
      setProgress(null);
    }
  };

  const stageNames = useMemo(() => {
    if (kind !== 'moveStage') return [];
    const inUse = new Set(rows.map((r) => r.pipelineId));
    const names = new Map<string, string>();
    for (const p of pipelines)
      if (inUse.has(p.id)) for (const s of stages.filter((s) => s.pipelineId === p.id && !s.archivedAt).sort((a, b) => a.position - b.position)) names.set(s.name.toLowerCase(), s.name);
    return [...names.values()];
  }, [kind, rows, pipelines, stages]);

  const input = (() => {
    switch (kind) {
      case 'addLabels':
        return (
          <Autocomplete
            label="Label"
            placeholder="Type or pick a label"
            data={props.labels as string[]}
            value={typed}
            onChange={setTyped}
            data-testid="bulk-label-input"
            comboboxProps={{ withinPortal: true }}
            autoFocus
          />
        );
      case 'removeLabels':
        return (
          <Select
            label="Label"
            placeholder="Pick a label"
            data={[...new Set(rows.flatMap((r) => r.labels ?? []))].sort()}
            value={value}
            onChange={setValue}
            searchable
            data-testid="bulk-label-input"
            comboboxProps={{ withinPortal: true }}
          />
        );
      case 'owner':
        return (
          <Select
            label="Owner"
            placeholder="Pick a member"
            data={[{ value: '', label: 'Nobody' }, ...members.map((m) => ({ value: m.id, label: m.name || m.email }))]}
            value={value}
            onChange={setValue}
            searchable
            data-testid="bulk-owner-input"
            comboboxProps={{ withinPortal: true }}
          />
        );
      case 'moveStage':
        return <Select label="Stage" placeholder="Pick a stage" data={stageNames} value={value} onChange={setValue} data-testid="bulk-stage-input" comboboxProps={{ withinPortal: true }} />;
      case 'status':
        return (
          <Select
            label="Status"
            placeholder="Pick a status"
            data={[
              { value: 'open', label: 'Open' },
              { value: 'won', label: 'Won' },
              { value: 'lost', label: 'Lost' },
            ]}
            value={value}
            onChange={setValue}
            data-testid="bulk-status-input"
            comboboxProps={{ withinPortal: true }}
          />
        );
      default:
        return null;
    }
  })();

  const outcome = check && check.value === value ? check.outcome : null;
  const refusedIds = outcome ? new Set(outcome.errors.map((e) => e.id)).size : 0;
  const title = `${VERB[kind].title} ${many(rows.length)}`;
  return (
    <Modal opened onClose={props.onClose} title={<Text fw={600}>{title}</Text>} size="md" data-testid="bulk-dialog" closeOnClickOutside={!progress}>
      <Stack gap="sm">
        {input}
        {kind === 'status' && value === 'lost' && (
          <TextInput
            label="Lost reason"
            placeholder="Why were they lost? (optional)"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            maxLength={1000}
            data-testid="bulk-lost-reason"
          />
        )}
        {kind === 'delete' && <Text size="sm">They are removed for everyone, on every device; Undo brings them back. Archiving keeps them out of the way but recoverable.</Text>}
        {progress && (
          <Stack gap={4} data-testid="bulk-progress">
            <Text size="sm" c="dimmed">
              {progress.what} {fmt(progress.done)} of {many(ids.length)}…
            </Text>
            <Progress value={ids.length ? (progress.done / ids.length) * 100 : 0} animated size="sm" />
          </Stack>
        )}
        {outcome && !progress && (
          <Alert variant="light" color={outcome.changed > 0 ? 'blue' : 'gray'} data-testid="bulk-dry-run">
            <Text size="sm">
              {outcome.changed > 0 ? `This will change ${many(outcome.changed)}` : 'This changes nothing'}
              {outcome.changed < ids.length ? ` of the ${fmt(ids.length)} selected` : ''}.
              {outcome.matched - outcome.changed - refusedIds > 0 ? ` ${fmt(outcome.matched - outcome.changed - refusedIds)} need no change.` : ''}
              {refusedIds > 0 ? ` ${fmt(refusedIds)} would be refused:` : ''}
            </Text>
            {refusedIds > 0 && (
              <Stack gap={2} mt={4} data-testid="bulk-dry-run-errors">
                {outcome.errors.slice(0, 5).map((e, i) => (
                  <Text key={i} size="xs" c="red">
                    {e.path ? `${e.path}: ` : ''}
                    {e.message}
                  </Text>
                ))}
                {outcome.errors.length > 5 && (
                  <Text size="xs" c="dimmed">
                    and {fmt(outcome.errors.length - 5)} more
                  </Text>
                )}
              </Stack>
            )}
          </Alert>
        )}
        {error && (
          <Alert variant="light" color="red" data-testid="bulk-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end" mt="xs">
          <Button variant="default" onClick={props.onClose} disabled={progress?.what === 'Changing'}>
            Cancel
          </Button>
          <Button
            color={kind === 'delete' ? 'red' : undefined}
            onClick={() => void run()}
            disabled={!outcome || outcome.changed === 0 || !!progress}
            loading={progress?.what === 'Changing'}
            data-testid="bulk-confirm"
          >
            {outcome ? `${VERB[kind].title} ${many(outcome.changed)}` : VERB[kind].title}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
