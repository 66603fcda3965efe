/**
 * The saved server cannot be reached when the app starts: say so, retry on our own (every few
 * seconds and when the OS reports the network back), and never throw the saved key away.
 */
import { useEffect } from 'react';
import { Anchor, Button, Center, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { IconCloudOff } from '@tabler/icons-react';

export function Unreachable({ error, onRetry, onSignOut }: { error: string; onRetry(): void; onSignOut(): void }) {
  useEffect(() => {
    const timer = setInterval(onRetry, 5000);
    window.addEventListener('online', onRetry);
    return () => {
      clearInterval(timer);
      window.removeEventListener('online', onRetry);
    };
  }, [onRetry]);
  return (
    <Center mih="100vh" p="md" bg="var(--mantine-color-gray-0)">
      <Paper withBorder shadow="md" radius="md" p="xl" w={460} data-testid="unreachable">
        <Stack align="center" gap="sm">
          <IconCloudOff size={40} color="var(--mantine-color-gray-6)" />
          <Title order={3}>Can’t reach your Kith server</Title>
          <Text size="sm" c="dimmed" ta="center">
            {error}
          </Text>
          <Text size="sm" ta="center">
            Kith keeps trying and opens your workspace as soon as the server answers.
          </Text>
          <Loader size="sm" type="dots" />
          <Button variant="light" onClick={onRetry}>
            Try again now
          </Button>
          <Anchor component="button" size="sm" c="dimmed" onClick={onSignOut}>
            Use another server or key
          </Anchor>
        </Stack>
      </Paper>
    </Center>
  );
}
