/**
 * Settings → Webhooks (owners): the workspace's endpoints with their events, paused or failing
 * state; adding one (its signing secret is shown once, to copy), rotating the secret, pausing,
 * deleting, sending a test event, and each endpoint's delivery log with status codes and a retry.
 * Everything goes through the /crm/webhooks routes (docs/webhooks.md).
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Code, CopyButton, Group, Modal, MultiSelect, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { EVENT_ENTITIES, EVENT_TYPES } from '../../../shared/events.js';
import { useKith } from '../../app/KithContext.js';
import { useSession } from '../../app/session.js';
import { crmGet, crmSend } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { ConfirmDelete, Section, useSettingsAction } from './Section.js';

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  description: string | null;
  failingSince: string | null;
  lastError: string | null;
}

interface Delivery {
  id: string;
  eventType: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

/** The events offered: all, per entity, then each type (the server accepts exactly these). */
const EVENT_OPTIONS = [
  { group: 'All', items: [{ value: '*', label: 'Every event (*)' }] },
  { group: 'Every event of', items: EVENT_ENTITIES.map((e) => ({ value: `${e}.*`, label: `${e}.*` })) },
  { group: 'Events', items: EVENT_TYPES.map((t) => ({ value: t, label: t })) },
];

const STATE_COLOR = { pending: 'yellow.8', delivered: 'teal.7', failed: 'red.7' } as const;

/** A time in the log: only the time of day when it is today. */
function when(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

export function WebhooksSection() {
  const { info } = useKith();
  const { connection } = useSession();
  const isOwner = info.role === 'OWNER' && !info.readOnly;
  const [endpoints, setEndpoints] = useState<Endpoint[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['deal.won']);
  const [description, setDescription] = useState('');
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [log, setLog] = useState<{ endpoint: Endpoint; deliveries: Delivery[] } | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);

  const load = useCallback(async () => {
    if (!isOwner) return;
    try {
      setEndpoints((await crmGet<{ data: Endpoint[] }>(connection, '/webhooks')).data);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [connection, isOwner]);

  useEffect(() => {
    void load();
  }, [load]);

  const loadLog = useCallback(
    async (endpoint: Endpoint) => setLog({ endpoint, deliveries: (await crmGet<{ data: Delivery[] }>(connection, `/webhooks/${endpoint.id}/deliveries?limit=50`)).data }),
    [connection],
  );

  const { run, busy } = useSettingsAction(load, setError);

  const add = () =>
    run(async () => {
      const created = await crmSend<Endpoint & { secret: string }>(connection, 'POST', '/webhooks', { url: url.trim(), events, description: description.trim() || null });
      setSecret({ url: created.url, secret: created.secret });
      setUrl('');
      setDescription('');
    });

  const rotate = (endpoint: Endpoint) =>
    run(async () => {
      const rotated = await crmSend<{ secret: string }>(connection, 'POST', `/webhooks/${endpoint.id}/secret`);
      setSecret({ url: endpoint.url, secret: rotated.secret });
    });

  if (!isOwner) return null;

  return (
    <Section
      id="webhooks"
      title="Webhooks"
      description="Kith POSTs signed JSON to these URLs when records change (Kith-Signature: HMAC-SHA256 of the body with the endpoint's secret). Deliveries are retried for 24 hours."
    >
      <Stack gap="md">
        {error && (
          <Alert color="red" data-testid="webhooks-error" withCloseButton onClose={() => setError(null)}>
            {error}
          </Alert>
        )}
        {secret && (
          <Alert color="teal" title={`Signing secret for ${secret.url} (shown once)`} withCloseButton onClose={() => setSecret(null)}>
            <Group gap="sm" wrap="nowrap">
              <Code style={{ overflowWrap: 'anywhere' }} data-testid="webhook-secret">
                {secret.secret}
              </Code>
              <CopyButton value={secret.secret}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="light" onClick={copy}>
                    {copied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Alert>
        )}
        {endpoints.length === 0 ? (
          <Text size="sm" c="dimmed">
            No endpoints yet.
          </Text>
        ) : (
          <Table data-testid="webhooks-table">
            <Table.Tbody>
              {endpoints.map((w) => (
                <Table.Tr key={w.id} data-testid={`webhook-${w.url}`}>
                  <Table.Td>
                    <Group gap={6}>
                      <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
                        {w.url}
                      </Text>
                      {w.failingSince && (
                        <Badge color="red" variant="light" title={w.lastError ?? undefined} data-testid="webhook-failing">
                          failing since {new Date(w.failingSince).toLocaleDateString()}
                        </Badge>
                      )}
                      {!w.active && <Badge variant="light">paused</Badge>}
                    </Group>
                    <Text size="xs" c="dimmed">
                      {w.events.join(', ')}
                      {w.description ? ` · ${w.description}` : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td w={90}>
                    <Switch
                      aria-label={`Active: ${w.url}`}
                      checked={w.active}
                      disabled={busy}
                      onChange={(e) => {
                        const active = e.currentTarget.checked;
                        void run(() => crmSend(connection, 'PATCH', `/webhooks/${w.id}`, { active }), active ? 'Endpoint resumed' : 'Endpoint paused');
                      }}
                    />
                  </Table.Td>
                  <Table.Td w={330}>
                    <Group gap={4} wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => void run(() => loadLog(w))} data-testid="webhook-log">
                        Deliveries
                      </Button>
                      <Button size="xs" variant="subtle" disabled={busy} onClick={() => void run(() => crmSend(connection, 'POST', `/webhooks/${w.id}/test`), `Test event queued for ${w.url}`)}>
                        Send test
                      </Button>
                      <Button size="xs" variant="subtle" disabled={busy} onClick={() => void rotate(w)}>
                        Rotate secret
                      </Button>
                      <Button size="xs" variant="subtle" color="red" disabled={busy} onClick={() => setDeleting(w)}>
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label="Endpoint URL"
            placeholder="https://example.com/kith-hook"
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            style={{ flex: 2, minWidth: 240 }}
            data-testid="webhook-url"
          />
          <MultiSelect label="Events" data={EVENT_OPTIONS} value={events} onChange={setEvents} searchable style={{ flex: 2, minWidth: 220 }} data-testid="webhook-events" />
          <TextInput label="Description" placeholder="optional" value={description} onChange={(e) => setDescription(e.currentTarget.value)} style={{ flex: 1, minWidth: 160 }} />
          <Button onClick={() => void add()} loading={busy} disabled={!url.trim() || events.length === 0} data-testid="webhook-add">
            Add endpoint
          </Button>
        </Group>
      </Stack>

      <Modal opened={!!log} onClose={() => setLog(null)} size="xl" title={<Text fw={600}>Deliveries to {log?.endpoint.url}</Text>}>
        {log && (
          <Stack gap="sm">
            {log.deliveries.length === 0 ? (
              <Text size="sm" c="dimmed">
                Nothing sent yet.
              </Text>
            ) : (
              <Table data-testid="deliveries-table" fz="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Event</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Attempts</Table.Th>
                    <Table.Th>Response</Table.Th>
                    <Table.Th>Last try</Table.Th>
                    <Table.Th>Next try</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {log.deliveries.map((d) => (
                    <Table.Tr key={d.id} data-testid={`delivery-${d.eventType}`}>
                      <Table.Td>{d.eventType}</Table.Td>
                      <Table.Td>
                        <Text size="sm" fw={600} c={STATE_COLOR[d.state]}>
                          {d.state}
                        </Text>
                      </Table.Td>
                      <Table.Td>{d.attempts}</Table.Td>
                      <Table.Td title={d.lastError ?? undefined}>{d.lastStatus ?? (d.lastError ? 'no answer' : '—')}</Table.Td>
                      <Table.Td>{when(d.lastAttemptAt)}</Table.Td>
                      <Table.Td>{d.state === 'pending' ? when(d.nextAttemptAt) : '—'}</Table.Td>
                      <Table.Td>
                        {d.state !== 'delivered' && (
                          <Button
                            size="xs"
                            variant="light"
                            disabled={busy}
                            onClick={() =>
                              void run(async () => {
                                await crmSend(connection, 'POST', `/webhooks/${log.endpoint.id}/deliveries/${d.id}/retry`);
                                await loadLog(log.endpoint);
                              }, 'Retry queued')
                            }
                          >
                            Retry now
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            <Group justify="flex-end">
              <Button variant="default" size="xs" onClick={() => void run(() => loadLog(log.endpoint))}>
                Refresh
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>

      <ConfirmDelete
        what={deleting && 'endpoint'}
        consequence={`${deleting?.url} stops receiving events and its undelivered deliveries are dropped. To stop it for a while, switch it off instead.`}
        confirmTestId="webhook-delete-confirm"
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          const target = deleting!;
          setDeleting(null);
          void run(() => crmSend(connection, 'DELETE', `/webhooks/${target.id}`), `${target.url} deleted`);
        }}
      />
    </Section>
  );
}
