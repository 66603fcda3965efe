/** Settings → Agent access: the MCP client configuration blocks (hosted HTTP and local stdio), filled in and copyable, and the desktop's MCP self-test. */
import { useEffect, useState } from 'react';
import { Anchor, Box, Button, Code, CopyButton, Group, Stack, Switch, Text } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { useSession } from '../../app/session.js';
import { desktopBridge } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { maskKey, Section } from './Section.js';

function CopyBlock({ text, shown, testId }: { text: string; shown: string; testId?: string }) {
  return (
    <Box pos="relative">
      <Code block data-testid={testId} style={{ fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        {shown}
      </Code>
      <CopyButton value={text} timeout={1500}>
        {({ copied, copy }) => (
          <Button
            size="compact-xs"
            variant={copied ? 'filled' : 'default'}
            color={copied ? 'teal' : undefined}
            onClick={copy}
            leftSection={copied ? <IconCheck size={12} /> : <IconCopy size={12} />}
            pos="absolute"
            top={8}
            right={8}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Box>
  );
}

export function AgentSection() {
  const { connection } = useSession();
  const bridge = desktopBridge();
  const [reveal, setReveal] = useState(false);
  const [desktopConfig, setDesktopConfig] = useState<{ stdio: unknown; http: unknown } | null>(null);
  const [test, setTest] = useState<{ ok: boolean; toolCount?: number; error?: string } | null>(null);
  const [testing, setTesting] = useState(false);
  useEffect(() => {
    if (bridge)
      bridge
        .agentConfig()
        .then(setDesktopConfig)
        .catch((e) => console.error('agentConfig failed', e));
  }, [bridge]);

  const env: Record<string, string> = { KITH_URL: connection.serverUrl, KITH_API_KEY: connection.apiKey };
  if (connection.workspace) env.KITH_WORKSPACE = connection.workspace;
  const headers: Record<string, string> = { Authorization: `Bearer ${connection.apiKey}` };
  if (connection.workspace) headers['X-Kith-Workspace'] = connection.workspace;
  const stdio = desktopConfig?.stdio ?? { mcpServers: { kith: { command: 'kith-mcp', env } } };
  const http = desktopConfig?.http ?? { mcpServers: { kith: { type: 'http', url: `${connection.serverUrl}/mcp`, headers } } };
  const render = (value: unknown) => {
    const text = JSON.stringify(value, null, 2);
    return { text, shown: reveal ? text : text.split(connection.apiKey).join(maskKey(connection.apiKey)) };
  };
  const stdioBlock = render(stdio);
  const httpBlock = render(http);

  return (
    <Section
      id="agents"
      title="Agent access"
      description="Give an AI agent the same CRM tools: paste one of these blocks into your MCP client's configuration. The key gives the agent your permissions."
    >
      <Stack gap="md">
        <Switch label="Show the API key in the blocks" checked={reveal} onChange={(e) => setReveal(e.currentTarget.checked)} />
        <div>
          <Text fw={600} size="sm">
            Hosted MCP (streamable HTTP)
          </Text>
          <Text size="xs" c="dimmed" mb={6}>
            Endpoint <Code>{connection.serverUrl}/mcp</Code>; works for any agent that can reach this server.
          </Text>
          <CopyBlock text={httpBlock.text} shown={httpBlock.shown} testId="mcp-http-config" />
        </div>
        <div>
          <Text fw={600} size="sm">
            Local stdio process (kith-mcp)
          </Text>
          <Text size="xs" c="dimmed" mb={6}>
            Runs next to the agent. Without <Code>KITH_URL</Code> it opens the local data directory directly and works with no server running.
          </Text>
          <CopyBlock text={stdioBlock.text} shown={stdioBlock.shown} testId="mcp-stdio-config" />
        </div>
        {bridge && (
          <Group>
            <Button
              variant="light"
              loading={testing}
              onClick={async () => {
                setTesting(true);
                try {
                  setTest(await bridge.testMcp());
                } catch (e) {
                  setTest({ ok: false, error: errorMessage(e) });
                } finally {
                  setTesting(false);
                }
              }}
            >
              Test the local MCP process
            </Button>
            {test &&
              (test.ok ? (
                <Text c="teal" size="sm">
                  Works: {test.toolCount ?? 0} tools available.
                </Text>
              ) : (
                <Text c="red" size="sm">
                  Failed: {test.error}
                </Text>
              ))}
          </Group>
        )}
        <Text size="xs" c="dimmed">
          REST reference:{' '}
          <Anchor
            href={`${connection.serverUrl}/crm/docs`}
            target="_blank"
            onClick={(e) => {
              if (bridge) {
                e.preventDefault();
                void bridge.openExternal(`${connection.serverUrl}/crm/docs`);
              }
            }}
          >
            {connection.serverUrl}/crm/docs
          </Anchor>
        </Text>
      </Stack>
    </Section>
  );
}
