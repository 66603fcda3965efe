/** Settings → Workspace: name, slug, the signed-in role, default currency, and switching to another workspace. */
import { useState } from 'react';
import { Badge, Button, Group, SimpleGrid, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useKith } from '../../app/KithContext.js';
import { useSession } from '../../app/session.js';
import { checkConnection } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { Section } from './Section.js';

export function WorkspaceSection() {
  const store = useKith();
  const { connection, switchConnection } = useSession();
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { info } = store;

  async function switchTo() {
    const workspace = target.trim();
    if (!workspace) return;
    setError(null);
    setBusy(true);
    try {
      const next = { ...connection, workspace };
      const checked = await checkConnection(next);
      await switchConnection({ ...next, workspace: checked.workspace.slug });
      notifications.show({ color: 'teal', message: `Switched to ${checked.workspace.name}` });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section id="workspace" title="Workspace" description="Each workspace has its own records; this device keeps a separate local copy of each.">
      <SimpleGrid cols={{ base: 2, sm: 4 }} mb="md">
        <div>
          <Text size="xs" c="dimmed">
            Name
          </Text>
          <Text size="sm" fw={500}>
            {info.workspaceName}
          </Text>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Slug
          </Text>
          <Text size="sm" ff="monospace">
            {info.workspaceSlug}
          </Text>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Your role
          </Text>
          <Group gap={4}>
            <Badge variant="light">{info.role.toLowerCase()}</Badge>
            {info.readOnly && (
              <Badge variant="light" color="gray">
                read-only key
              </Badge>
            )}
          </Group>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Default currency
          </Text>
          <Text size="sm">{info.defaultCurrency}</Text>
        </div>
      </SimpleGrid>
      <Group align="flex-end">
        <TextInput label="Switch to workspace" placeholder="slug or id" value={target} onChange={(e) => setTarget(e.currentTarget.value)} error={error} w={300} data-testid="workspace-switch" />
        <Button variant="light" onClick={() => void switchTo()} loading={busy} disabled={!target.trim()}>
          Switch
        </Button>
      </Group>
    </Section>
  );
}
