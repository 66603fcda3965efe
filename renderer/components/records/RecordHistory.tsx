/**
 * A record's history from the server's audit log (GET /crm/audit?entityType=&entityId=), newest
 * first: who changed what, from where, with the before → after of each field. Conflicts (the same
 * field edited on two sides) are highlighted with the value that lost; rejected changes show why
 * the server refused them. Refreshes when the record changes; offline it says so and offers a retry.
 */
import { Alert, Badge, Button, Code, Group, Paper, Skeleton, Stack, Table, Text, Tooltip, EmptyState } from '@mantine/core';
import { IconAlertTriangle, IconBan, IconHistory, IconRefresh } from '@tabler/icons-react';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { AuditEntryRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { crmGet } from '../../app/connection.js';
import { useSession } from '../../app/session.js';
import { REFERENCE_FIELDS, type CollectionName } from '../../../shared/collections.js';
import { memberName, useMembers } from '../../hooks/useMembers.js';
import { useObservable, useRxDoc } from '../../hooks/useRx.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useRecordNames } from './useRecordNames.js';

export interface RecordHistoryProps {
  /** audit entity type: organization, person, deal, activity, … (plural collection names are accepted too) */
  entityType: string;
  entityId: string;
}

const ENTITY_COLLECTION: Record<string, CollectionName> = {
  organization: 'organizations',
  person: 'people',
  deal: 'deals',
  activity: 'activities',
  pipeline: 'pipelines',
  stage: 'stages',
  dealContact: 'dealContacts',
};
const PLURAL_TO_ENTITY: Record<string, string> = Object.fromEntries(Object.entries(ENTITY_COLLECTION).map(([e, c]) => [c, e]));

const ACTION_STYLE: Record<string, { color: string; label: string }> = {
  create: { color: 'green', label: 'Created' },
  update: { color: 'blue', label: 'Updated' },
  archive: { color: 'gray', label: 'Archived' },
  restore: { color: 'teal', label: 'Restored' },
  delete: { color: 'red', label: 'Deleted' },
  merge: { color: 'violet', label: 'Merged' },
  conflict: { color: 'orange', label: 'Conflict' },
  rejected: { color: 'red', label: 'Rejected' },
};

const SOURCE_LABEL: Record<string, string> = { rest: 'REST API', mcp: 'MCP agent', sync: 'App', cli: 'CLI', system: 'System' };

/** Fields the server maintains: not interesting in a change list. */
const HIDDEN_FIELDS = new Set(['updatedAt', 'version', 'createdAt', 'workspaceId', 'id']);

/** A field value as short readable text. */
function displayValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.map((v) => displayValue(v)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  const text = String(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** Reference fields shown by the name of what they point to (the registry's). */
const REFERENCE_OF: Record<string, CollectionName> = Object.fromEntries(REFERENCE_FIELDS);

/** Turns a field value into display text (names for ids when known). */
type Display = (field: string, value: unknown) => string;
const DisplayContext = createContext<Display>((_field, value) => displayValue(value));

/** "organizationId" → "Organization", "ownerId" → "Owner", "labels" → "Labels" */
function fieldLabel(field: string): string {
  if (/.Id$/.test(field)) field = field.slice(0, -2);
  const spaced = field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced[0].toUpperCase() + spaced.slice(1);
}

function ValueText({ field, value, strike, color }: { field: string; value: unknown; strike?: boolean; color?: string }) {
  const display = useContext(DisplayContext);
  return (
    <Text span size="sm" c={color} td={strike ? 'line-through' : undefined} style={{ wordBreak: 'break-word' }}>
      {display(field, value)}
    </Text>
  );
}

function ChangeTable({ entry }: { entry: AuditEntryRecord }) {
  const fields = entry.changedFields.filter((f) => !HIDDEN_FIELDS.has(f));
  if (fields.length === 0) return null;
  return (
    <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing="xs" layout="fixed" data-testid="history-changes">
      <Table.Tbody>
        {fields.map((f) => (
          <Table.Tr key={f}>
            <Table.Td w={150} style={{ verticalAlign: 'top' }}>
              <Text size="sm" c="dimmed">
                {fieldLabel(f)}
              </Text>
            </Table.Td>
            <Table.Td>
              {entry.action === 'create' ? (
                <ValueText field={f} value={entry.after?.[f]} />
              ) : (
                <Group gap={6} wrap="wrap">
                  <ValueText field={f} value={entry.before?.[f]} color="dimmed" strike />
                  <Text span size="sm" c="dimmed">
                    →
                  </Text>
                  <ValueText field={f} value={entry.after?.[f]} />
                </Group>
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function ConflictDetail({ entry }: { entry: AuditEntryRecord }) {
  const display = useContext(DisplayContext);
  const detail = (entry.detail ?? {}) as { reason?: string; fields?: Record<string, { lost?: unknown; kept?: unknown; base?: unknown }> };
  const fields = detail.fields && typeof detail.fields === 'object' ? Object.entries(detail.fields) : [];
  return (
    <Alert color="orange" variant="light" icon={<IconAlertTriangle size={18} />} title="Conflicting edits — the server’s value was kept" data-testid="history-conflict">
      <Stack gap={4}>
        {fields.length === 0 && <Text size="sm">{detail.reason ?? displayValue(entry.detail)}</Text>}
        {fields.map(([field, v]) => (
          <Text size="sm" key={field} data-testid={`history-conflict-${field}`}>
            <Text span fw={600} size="sm">
              {fieldLabel(field)}:
            </Text>{' '}
            kept <ValueText field={field} value={v?.kept} /> — the losing value was{' '}
            <Code color="orange.1" data-testid="history-lost-value">
              {display(field, v?.lost)}
            </Code>
            {v && 'base' in v && v.base !== undefined && (
              <Text span size="xs" c="dimmed">
                {' '}
                {displayValue(v.base) === '—' ? '(it was empty before both edits)' : `(both sides changed it from ${display(field, v.base)})`}
              </Text>
            )}
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}

function RejectedDetail({ entry }: { entry: AuditEntryRecord }) {
  const detail = (entry.detail ?? {}) as { reason?: string; errors?: { path?: string; message?: string }[] | null; attempted?: Record<string, unknown> | null };
  const reason = detail.reason ?? 'No reason given';
  // field errors the reason does not already say, and what was attempted for each field
  const errors = (Array.isArray(detail.errors) ? detail.errors : []).filter((e) => e.message && !reason.includes(String(e.message)));
  const attempted = detail.attempted && typeof detail.attempted === 'object' ? detail.attempted : null;
  const fields = [...new Set((Array.isArray(detail.errors) ? detail.errors : []).map((e) => String(e.path ?? '').split(/[./]/)[0]).filter((f) => f && attempted && f in attempted))];
  return (
    <Alert color="red" variant="light" icon={<IconBan size={18} />} title="A change was refused by the server and reverted" data-testid="history-rejected">
      <Stack gap={4}>
        <Text size="sm" data-testid="history-rejected-reason">
          {reason}
        </Text>
        {errors.map((e, i) => (
          <Text size="sm" key={i}>
            {e.path ? (
              <Text span fw={600} size="sm">
                {fieldLabel(String(e.path))}:{' '}
              </Text>
            ) : null}
            {e.message}
          </Text>
        ))}
        {fields.map((f) => (
          <Text size="sm" key={f}>
            <Text span size="sm" c="dimmed">
              Attempted {fieldLabel(f).toLowerCase()}:
            </Text>{' '}
            <Code>{displayValue(attempted![f])}</Code>
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}

function EntryView({ entry, actor }: { entry: AuditEntryRecord; actor: string }) {
  const style = ACTION_STYLE[entry.action] ?? { color: 'gray', label: entry.action };
  const highlighted = entry.action === 'conflict' || entry.action === 'rejected';
  return (
    <Paper withBorder radius="md" p="sm" data-testid={`history-entry-${entry.action}`} style={highlighted ? { borderColor: `var(--mantine-color-${style.color}-5)`, borderLeftWidth: 4 } : undefined}>
      <Group justify="space-between" wrap="nowrap" mb={entry.action === 'archive' || entry.action === 'restore' || entry.action === 'delete' ? 0 : 6}>
        <Group gap="xs" wrap="nowrap">
          <Badge color={style.color} variant={highlighted ? 'filled' : 'light'} radius="sm">
            {style.label}
          </Badge>
          <Text size="sm" fw={500}>
            {actor}
          </Text>
          <Text size="xs" c="dimmed">
            via {SOURCE_LABEL[entry.source] ?? entry.source}
          </Text>
        </Group>
        <Tooltip label={formatDateTime(entry.at)}>
          <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
            {formatRelative(entry.at)}
          </Text>
        </Tooltip>
      </Group>
      {entry.action === 'conflict' ? <ConflictDetail entry={entry} /> : entry.action === 'rejected' ? <RejectedDetail entry={entry} /> : <ChangeTable entry={entry} />}
    </Paper>
  );
}

export function RecordHistory({ entityType, entityId }: RecordHistoryProps) {
  const store = useKith();
  const { connection } = useSession();
  const { byId } = useMembers();
  const entity = PLURAL_TO_ENTITY[entityType] ?? entityType;
  const collection = ENTITY_COLLECTION[entity] ?? null;
  const { doc } = useRxDoc<{ version?: number; updatedAt?: string }>(collection ?? 'organizations', collection ? entityId : null);
  const rejected = useObservable(store.rejected$, []);
  const rejectedHere = rejected.filter((r) => r.documentId === entityId).length;

  const [entries, setEntries] = useState<AuditEntryRecord[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const seq = useRef(0);

  const path = useCallback((cursor?: string | null) => `/audit?${new URLSearchParams({ entityType: entity, entityId, limit: '50', ...(cursor ? { cursor } : {}) }).toString()}`, [entity, entityId]);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const page = await crmGet<{ data: AuditEntryRecord[]; nextCursor: string | null }>(connection, path());
      if (mine !== seq.current) return;
      setEntries(page.data);
      setNextCursor(page.nextCursor);
      setError(null);
    } catch (e) {
      if (mine !== seq.current) return;
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [connection, path]);

  // Reload when the record changes (a local edit reaches the server a moment later: wait briefly).
  const version = doc ? `${doc.version ?? ''}:${doc.updatedAt ?? ''}` : '';
  useEffect(() => {
    const timer = setTimeout(() => void load(), entries === null ? 0 : 400);
    return () => clearTimeout(timer);
  }, [load, version, rejectedHere]); // eslint-disable-line react-hooks/exhaustive-deps

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await crmGet<{ data: AuditEntryRecord[]; nextCursor: string | null }>(connection, path(nextCursor));
      setEntries((prev) => [...(prev ?? []), ...page.data]);
      setNextCursor(page.nextCursor);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setLoadingMore(false);
    }
  };

  // names for the ids in the entries (organization, person, deal, owner…)
  const refIds = useMemo(() => {
    const ids: Record<string, string[]> = { organizations: [], people: [], deals: [], stages: [], pipelines: [] };
    for (const e of entries ?? []) {
      const values: [string, unknown][] = [];
      for (const snap of [e.before, e.after]) if (snap) for (const f of Object.keys(REFERENCE_OF)) values.push([f, snap[f]]);
      const fields = (e.detail as { fields?: Record<string, { lost?: unknown; kept?: unknown; base?: unknown }> } | null)?.fields;
      if (fields) for (const [f, v] of Object.entries(fields)) values.push([f, v?.lost], [f, v?.kept], [f, v?.base]);
      for (const [f, v] of values) if (REFERENCE_OF[f] && typeof v === 'string') ids[REFERENCE_OF[f]].push(v);
    }
    return ids;
  }, [entries]);
  const orgNames = useRecordNames('organizations', refIds.organizations);
  const personNames = useRecordNames('people', refIds.people);
  const dealNames = useRecordNames('deals', refIds.deals);
  const stageNames = useRecordNames('stages', refIds.stages);
  const pipelineNames = useRecordNames('pipelines', refIds.pipelines);
  const display = useCallback<Display>(
    (field, value) => {
      if (typeof value !== 'string' || !value) return displayValue(value);
      if (field === 'ownerId' || field === 'actorId') return byId.has(value) ? memberName(byId, value) : displayValue(value);
      const collection = REFERENCE_OF[field];
      const names =
        collection === 'organizations'
          ? orgNames
          : collection === 'people'
            ? personNames
            : collection === 'deals'
              ? dealNames
              : collection === 'stages'
                ? stageNames
                : collection === 'pipelines'
                  ? pipelineNames
                  : null;
      return names?.get(value) ?? displayValue(value);
    },
    [byId, orgNames, personNames, dealNames, stageNames, pipelineNames],
  );

  const actorOf = (e: AuditEntryRecord) => (e.actorUserId ? memberName(byId, e.actorUserId) : e.source === 'system' ? 'Kith' : 'Someone');

  return (
    <DisplayContext.Provider value={display}>
      <Stack gap="sm" data-testid="record-history">
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            Every change, from the app, the API, agents and the CLI. Kept on the server.
          </Text>
          <Button variant="subtle" size="xs" leftSection={<IconRefresh size={14} />} onClick={() => void load()} data-testid="history-refresh">
            Refresh
          </Button>
        </Group>
        {error && (
          <Alert color="yellow" variant="light" title="History is not available right now" data-testid="history-error">
            <Text size="sm">{error}</Text>
            <Text size="xs" c="dimmed" mt={4}>
              The history lives on the server; your edits are safe locally and will sync when it is reachable.
            </Text>
          </Alert>
        )}
        {entries === null && !error && (
          <Stack gap="xs">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} height={64} radius="md" />
            ))}
          </Stack>
        )}
        {entries !== null && entries.length === 0 && (
          <EmptyState size="sm" icon={<IconHistory size={22} />} withIndicatorBackground title="No history yet" description="Changes show up here once they reach the server." />
        )}
        {entries?.map((e) => (
          <EntryView key={e.id} entry={e} actor={actorOf(e)} />
        ))}
        {nextCursor && (
          <Button variant="default" size="xs" loading={loadingMore} onClick={() => void loadMore()} style={{ alignSelf: 'center' }}>
            Load older changes
          </Button>
        )}
      </Stack>
    </DisplayContext.Provider>
  );
}
