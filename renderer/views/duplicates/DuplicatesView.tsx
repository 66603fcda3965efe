/**
 * Duplicates (SPEC §3, §6): the server's groups of likely duplicate people and organizations (same
 * email, same website domain, same normalized name), each with a Merge button opening the merge
 * dialog, and an Undo in the notification after a merge (the server's undo of that merge). The
 * groups come from `GET /crm/duplicates` and the merge is a server operation, so the page needs the
 * server; it says so when it cannot reach it. A viewer sees the groups and no Merge.
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, Anchor, Badge, Button, Group, Loader, Paper, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowMerge, IconRefresh } from '@tabler/icons-react';
import { Link, useSearchParams } from 'wouter';
import { useSession } from '../../app/session.js';
import { crmGet, crmSend } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { useCan } from '../../hooks/usePermissions.js';
import { formatRelative } from '../../lib/format.js';
import { MergeDialog, type MergeCollection, type MergeRequest } from './MergeDialog.js';

interface DuplicateGroup {
  entity: 'person' | 'organization';
  reason: 'email' | 'domain' | 'name';
  value: string;
  records: { id: string; name: string; email?: string | null; domain?: string | null; updatedAt: string }[];
}

const COLLECTION: Record<DuplicateGroup['entity'], MergeCollection> = { person: 'people', organization: 'organizations' };
const REASON: Record<DuplicateGroup['reason'], string> = { email: 'Same email', domain: 'Same website domain', name: 'Same name' };

const NOUNS: Record<string, [string, string]> = {
  deals: ['deal', 'deals'],
  activities: ['activity', 'activities'],
  people: ['person', 'people'],
  dealContacts: ['deal contact', 'deal contacts'],
};

/** "2 deals", "1 activity", "3 champion references" (a reference custom field). */
function movedText(what: string, n: number): string {
  const [one, many] = NOUNS[what] ?? [`${what.replace(/^custom\./, '')} reference`, `${what.replace(/^custom\./, '')} references`];
  return `${n} ${n === 1 ? one : many}`;
}

function serverError(error: unknown): string {
  if ((error as { status?: unknown }).status === null) return `Duplicates and merges need the server, and it cannot be reached (${errorMessage(error)}).`;
  return errorMessage(error);
}

export function DuplicatesView() {
  const { connection } = useSession();
  const [params, setParams] = useSearchParams();
  const entity: DuplicateGroup['entity'] = params.get('entity') === 'organization' ? 'organization' : 'person';
  const collection = COLLECTION[entity];
  const canMerge = useCan('update', collection).allowed;
  const [groups, setGroups] = useState<DuplicateGroup[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [merging, setMerging] = useState<DuplicateGroup | null>(null);
  const [mergeError, setMergeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    setError(null);
    try {
      setGroups((await crmGet<{ data: DuplicateGroup[] }>(connection, `/duplicates?entity=${entity}`)).data);
    } catch (e) {
      setError(serverError(e));
      setGroups([]);
    }
  }, [connection, entity]);

  useEffect(() => {
    setGroups(null);
    void load();
  }, [load]);

  async function undo(auditEntryId: string, notificationId: string) {
    notifications.hide(notificationId);
    try {
      await crmSend(connection, 'POST', `/merges/${auditEntryId}/undo`);
      notifications.show({ color: 'teal', message: 'The merge is undone: the records are back with their deals and activities.', autoClose: 4000 });
    } catch (e) {
      notifications.show({ color: 'red', title: 'Could not undo the merge', message: serverError(e), autoClose: 8000 });
    }
    await load();
  }

  async function merge(request: MergeRequest) {
    if (!merging) return;
    setBusy(true);
    setMergeError(null);
    try {
      const result = await crmSend<{ record: { name: string }; auditEntryId: string; moved: Record<string, number> }>(connection, 'POST', `/${collection}/merge`, request);
      setMerging(null);
      const moved = Object.entries(result.moved)
        .map(([what, n]) => movedText(what, n))
        .join(', ');
      const id = `merge-${result.auditEntryId}`;
      notifications.show({
        id,
        color: 'teal',
        title: `Merged into ${result.record.name}`,
        autoClose: 12_000,
        message: (
          <Group gap="xs" justify="space-between" wrap="nowrap" data-testid="merge-done">
            <Text size="sm">{moved ? `Moved: ${moved}.` : 'Nothing referred to the others.'}</Text>
            <Button size="compact-sm" variant="light" onClick={() => void undo(result.auditEntryId, id)} data-testid="merge-undo">
              Undo
            </Button>
          </Group>
        ),
      });
      await load();
    } catch (e) {
      setMergeError(serverError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack maw={980} mx="auto" gap="md" data-testid="duplicates-page">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Duplicates
        </Title>
        <Group gap="sm">
          <SegmentedControl
            aria-label="Which records"
            value={entity}
            onChange={(v) => setParams({ entity: v })}
            data={[
              { value: 'person', label: 'People' },
              { value: 'organization', label: 'Organizations' },
            ]}
            data-testid="duplicates-entity"
          />
          <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={() => void load()} data-testid="duplicates-refresh">
            Refresh
          </Button>
        </Group>
      </Group>
      <Text size="sm" c="dimmed">
        {entity === 'person' ? 'People with the same email, or the same name' : 'Organizations with the same website domain, or the same name'} (case, accents and punctuation ignored). The oldest
        record of a group is listed first; it is the one kept unless you choose another.
      </Text>
      {error && (
        <Alert color="red" data-testid="duplicates-error">
          {error}
        </Alert>
      )}
      {groups === null ? (
        <Group>
          <Loader size="sm" />
          <Text size="sm" c="dimmed">
            Looking for duplicates…
          </Text>
        </Group>
      ) : groups.length === 0 && !error ? (
        <Paper withBorder radius="md" p="lg" data-testid="duplicates-empty">
          <Text size="sm">No duplicate {entity === 'person' ? 'people' : 'organizations'} found.</Text>
        </Paper>
      ) : (
        groups.map((g) => (
          <Paper withBorder radius="md" p="md" key={`${g.reason}-${g.value}-${g.records[0]?.id}`} data-testid="duplicate-group">
            <Group justify="space-between" mb="xs" wrap="nowrap">
              <Group gap="xs">
                <Badge variant="light" color={g.reason === 'name' ? 'gray.7' : 'orange.9'} styles={{ label: { textTransform: 'none' } }}>
                  {REASON[g.reason]}
                </Badge>
                <Text size="sm" fw={600}>
                  {g.value}
                </Text>
              </Group>
              {canMerge && (
                <Button
                  size="xs"
                  leftSection={<IconArrowMerge size={14} />}
                  onClick={() => {
                    setMergeError(null);
                    setMerging(g);
                  }}
                  data-testid={`duplicate-merge-${g.records[0]?.id}`}
                >
                  Merge…
                </Button>
              )}
            </Group>
            <Stack gap={4}>
              {g.records.map((r) => (
                <Group key={r.id} gap="sm" wrap="nowrap">
                  <Anchor component={Link} href={`/${collection}/${r.id}`} size="sm" fw={500}>
                    {r.name}
                  </Anchor>
                  <Text size="sm" c="dimmed" truncate>
                    {[r.email ?? r.domain, `updated ${formatRelative(r.updatedAt)}`].filter(Boolean).join(' · ')}
                  </Text>
                </Group>
              ))}
            </Stack>
          </Paper>
        ))
      )}
      {merging && (
        <MergeDialog collection={collection} ids={merging.records.map((r) => r.id)} busy={busy} error={mergeError} onClose={() => setMerging(null)} onMerge={(request) => void merge(request)} />
      )}
    </Stack>
  );
}
