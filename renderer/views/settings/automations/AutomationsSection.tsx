/**
 * Settings → Automations (owners): the workspace's automations with their trigger and an on/off
 * switch; a builder (new, from the template gallery, or editing one); a run on a chosen record to
 * try one out; the run history with each step's result; and the step secrets ({{secret.name}}),
 * set here and never shown again. Everything goes through /crm/automations (docs/automations.md).
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Code, Group, Modal, PasswordInput, SimpleGrid, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useKith } from '../../../app/KithContext.js';
import { useSession } from '../../../app/session.js';
import { crmGet, crmSend } from '../../../app/connection.js';
import { RecordPicker } from '../../../components/pickers.js';
import { errorMessage } from '../../../components/forms.js';
import { ConfirmDelete, Section, useSettingsAction } from '../Section.js';
import { AutomationEditor, type EditorContext } from './AutomationEditor.js';
import { entityOf, TEMPLATES, type Automation, type Run, type SchemaEntity, type StepResult } from './model.js';

const BLANK: Automation = { name: '', active: true, trigger: { event: 'deal.won' }, conditions: [], steps: [] };
const RUN_COLOR = { pending: 'yellow.8', succeeded: 'teal.7', failed: 'red.7', skipped: 'dimmed' } as const;

/** What a step did, for people: its result's values without the ids (an HTTP status, the field saved, a due date). */
function stepSummary(s: StepResult): string {
  if (s.error) return ` — ${s.error}`;
  const parts = Object.entries(s.result ?? {})
    .filter(([key]) => !/Id$|^id$/.test(key))
    .map(([key, value]) => {
      if (value && typeof value === 'object' && 'field' in value) return `${String((value as { field: unknown }).field)} = ${JSON.stringify((value as { value?: unknown }).value)}`;
      if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) return `${key} ${new Date(value).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}`;
      return `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
    });
  return parts.length ? ` (${parts.join(', ')})` : '';
}
const PICKED = { deal: ['deals', 'title'], person: ['people', 'name'], organization: ['organizations', 'name'] } as const;

function describeTrigger(a: Automation): string {
  return 'event' in a.trigger ? `on ${a.trigger.event}` : `daily at ${a.trigger.at}${a.trigger.timeZone ? ` (${a.trigger.timeZone})` : ''} over ${a.trigger.entity} records`;
}

export function AutomationsSection() {
  const { info } = useKith();
  const { connection } = useSession();
  const isOwner = info.role === 'OWNER' && !info.readOnly;
  const [automations, setAutomations] = useState<(Automation & { id: string })[]>([]);
  const [context, setContext] = useState<EditorContext>({ schema: [], secrets: [], endpoints: [] });
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Automation | null>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [history, setHistory] = useState<{ automation: Automation & { id: string }; runs: Run[] } | null>(null);
  const [deleting, setDeleting] = useState<(Automation & { id: string }) | null>(null);
  const [secretName, setSecretName] = useState('');
  const [secretValue, setSecretValue] = useState('');

  const load = useCallback(async () => {
    if (!isOwner) return;
    try {
      const [list, schema, secrets, endpoints] = await Promise.all([
        crmGet<{ data: (Automation & { id: string })[] }>(connection, '/automations'),
        crmGet<{ entities: SchemaEntity[] }>(connection, '/schema'),
        crmGet<{ data: { name: string }[] }>(connection, '/automation-secrets'),
        crmGet<{ data: { id: string; url: string }[] }>(connection, '/webhooks'),
      ]);
      setAutomations(list.data);
      setContext({ schema: schema.entities, secrets: secrets.data.map((s) => s.name), endpoints: endpoints.data });
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [connection, isOwner]);

  useEffect(() => {
    void load();
  }, [load]);

  const loadRuns = useCallback(
    async (automation: Automation & { id: string }) => {
      const runs = (await crmGet<{ data: Run[] }>(connection, `/automations/${automation.id}/runs?limit=50`)).data;
      setHistory({ automation, runs });
      return runs;
    },
    [connection],
  );

  const { run } = useSettingsAction(load, setError);

  async function save(draft: Automation) {
    setSaving(true);
    setEditError(null);
    try {
      const body = { name: draft.name.trim(), active: draft.active, trigger: draft.trigger, conditions: draft.conditions, steps: draft.steps };
      if (draft.id) await crmSend(connection, 'PATCH', `/automations/${draft.id}`, body);
      else await crmSend(connection, 'POST', '/automations', body);
      notifications.show({ color: 'teal', message: `Automation “${body.name}” saved` });
      setEditing(null);
      await load();
    } catch (e) {
      setEditError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  if (!isOwner) return null;

  return (
    <Section
      id="automations"
      title="Automations"
      description="Routine steps Kith does itself when a record changes, or every day over the records that match: set fields, add labels and follow-ups, move stages, call other tools."
    >
      <Stack gap="md">
        {error && (
          <Alert color="red" data-testid="automations-error" withCloseButton onClose={() => setError(null)}>
            {error}
          </Alert>
        )}
        {automations.length > 0 && (
          <Table data-testid="automations-table">
            <Table.Tbody>
              {automations.map((a) => (
                <Table.Tr key={a.id} data-testid={`automation-${a.name}`}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {a.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {`${describeTrigger(a)} · ${a.conditions.length} condition${a.conditions.length === 1 ? '' : 's'} · ${a.steps.map((s) => s.type).join(' → ')}`}
                    </Text>
                  </Table.Td>
                  <Table.Td w={70}>
                    <Switch
                      aria-label={`Active: ${a.name}`}
                      checked={a.active}
                      onChange={(e) => void run(() => crmSend(connection, 'PATCH', `/automations/${a.id}`, { active: e.currentTarget.checked }))}
                    />
                  </Table.Td>
                  <Table.Td w={250}>
                    <Group gap={4} wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => (setEditError(null), setEditing(a))}>
                        Edit
                      </Button>
                      <Button size="xs" variant="subtle" onClick={() => void run(() => loadRuns(a))} data-testid="automation-runs">
                        Runs
                      </Button>
                      <Button size="xs" variant="subtle" color="red" onClick={() => setDeleting(a)}>
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group>
          <Button variant="light" onClick={() => (setEditError(null), setEditing(BLANK))} data-testid="automation-new">
            New automation
          </Button>
        </Group>
        <Text size="sm" fw={600}>
          Start from a template
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          {TEMPLATES.map((t) => (
            <Card key={t.title} withBorder padding="sm" radius="md" data-testid={`template-${t.automation.name}`}>
              <Text size="sm" fw={600}>
                {t.title}
              </Text>
              <Text size="xs" c="dimmed" mb="xs" style={{ flex: 1 }}>
                {t.description}
              </Text>
              <Button size="xs" variant="light" onClick={() => (setEditError(null), setEditing(structuredClone(t.automation)))}>
                Use this template
              </Button>
            </Card>
          ))}
        </SimpleGrid>

        <Stack gap={4}>
          <Text size="sm" fw={600}>
            Secrets for steps
          </Text>
          <Text size="xs" c="dimmed">
            Tokens an HTTP step sends, referenced as {'{{secret.name}}'}. Stored on the server and never shown again.
            {context.secrets.length ? ' Set: ' : ' None yet.'}
            {context.secrets.map((s) => (
              <Code key={s} mr={4}>
                {s}
              </Code>
            ))}
          </Text>
          <Group align="flex-end" gap="sm">
            <TextInput label="Name" placeholder="projects_token" value={secretName} onChange={(e) => setSecretName(e.currentTarget.value)} w={220} data-testid="secret-name" />
            <PasswordInput label="Value" value={secretValue} onChange={(e) => setSecretValue(e.currentTarget.value)} style={{ flex: 1 }} data-testid="secret-value" />
            <Button
              variant="default"
              disabled={!secretName.trim() || !secretValue}
              onClick={() =>
                void run(async () => {
                  await crmSend(connection, 'PUT', `/automation-secrets/${encodeURIComponent(secretName.trim())}`, { value: secretValue });
                  setSecretName('');
                  setSecretValue('');
                }, `Secret ${secretName.trim()} saved`)
              }
              data-testid="secret-save"
            >
              Save secret
            </Button>
          </Group>
        </Stack>
      </Stack>

      <Modal opened={!!editing} onClose={() => setEditing(null)} size="xl" title={<Text fw={600}>{editing?.id ? `Edit “${editing.name}”` : 'New automation'}</Text>}>
        {editing && <AutomationEditor initial={editing} context={context} saving={saving} error={editError} onSave={(a) => void save({ ...a, id: editing.id })} onCancel={() => setEditing(null)} />}
      </Modal>

      <Modal opened={!!history} onClose={() => setHistory(null)} size="xl" title={<Text fw={600}>Runs of “{history?.automation.name}”</Text>}>
        {history && <RunHistory automation={history.automation} runs={history.runs} reload={() => loadRuns(history.automation)} onError={setError} />}
      </Modal>

      <ConfirmDelete
        what={deleting && 'automation'}
        consequence={`“${deleting?.name}” stops running and its run history is deleted. To stop it for a while, switch it off instead.`}
        confirmTestId="automation-delete-confirm"
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          const target = deleting!;
          setDeleting(null);
          void run(() => crmSend(connection, 'DELETE', `/automations/${target.id}`), `“${target.name}” deleted`);
        }}
      />
    </Section>
  );
}

/** The runs of one automation, newest first, with a run on a chosen record to try it. */
function RunHistory({ automation, runs, reload, onError }: { automation: Automation & { id: string }; runs: Run[]; reload(): Promise<Run[]>; onError(message: string): void }) {
  const { connection } = useSession();
  const entity = entityOf(automation.trigger);
  const picked = PICKED[entity as keyof typeof PICKED];
  const [recordId, setRecordId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  async function tryOn() {
    setBusy(true);
    setFailure(null);
    try {
      const queued = await crmSend<Run>(connection, 'POST', `/automations/${automation.id}/run`, { recordId });
      // the run is queued: follow it until it is done (an HTTP step being retried stays pending)
      for (let i = 0; i < 30; i++) {
        const runs = await reload();
        if (runs.find((r) => r.id === queued.id)?.state !== 'pending') break;
        await new Promise((r) => setTimeout(r, 300));
      }
    } catch (e) {
      setFailure(errorMessage(e));
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack gap="sm">
      <Group align="flex-end" gap="sm">
        {picked ? (
          <RecordPicker
            collection={picked[0]}
            labelField={picked[1]}
            label={`Try it on a ${entity}`}
            value={recordId}
            onChange={setRecordId}
            describe={() => undefined}
            style={{ flex: 1 }}
            data-testid="run-record"
          />
        ) : (
          <TextInput label={`Try it on a ${entity} (id)`} value={recordId ?? ''} onChange={(e) => setRecordId(e.currentTarget.value || null)} style={{ flex: 1 }} />
        )}
        <Button onClick={() => void tryOn()} loading={busy} disabled={!recordId} data-testid="run-now">
          Run now
        </Button>
        <Button variant="default" onClick={() => void reload()}>
          Refresh
        </Button>
      </Group>
      {failure && <Alert color="red">{failure}</Alert>}
      {runs.length === 0 ? (
        <Text size="sm" c="dimmed">
          No runs yet.
        </Text>
      ) : (
        <Table fz="sm" data-testid="runs-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Why</Table.Th>
              <Table.Th>Result</Table.Th>
              <Table.Th>Steps</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {runs.map((r) => (
              <Table.Tr key={r.id} data-testid={`run-${r.state}`}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{new Date(r.createdAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })}</Table.Td>
                <Table.Td>{r.trigger === 'event' ? r.eventType : r.trigger}</Table.Td>
                <Table.Td>
                  <Text size="sm" fw={600} c={RUN_COLOR[r.state]}>
                    {r.state}
                  </Text>
                  {(r.note || r.error) && (
                    <Text size="xs" c={r.error ? 'red' : 'dimmed'}>
                      {r.error ?? r.note}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {r.steps.map((s) => (
                    <Text key={s.index} size="xs" c={s.status === 'failed' ? 'red' : undefined}>
                      {`${s.index + 1}. ${s.type}: ${s.status}${stepSummary(s)}`}
                    </Text>
                  ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
