/** The frame of a settings panel (title, description, anchor) and the API key as settings show it (masked). */
import type { ReactNode } from 'react';
import { Box, Paper, Text, Title } from '@mantine/core';

export function Section({ title, description, children, id }: { title: string; description?: string; children: ReactNode; id?: string }) {
  return (
    <Paper withBorder radius="md" p="lg" id={id} data-testid={id ? `settings-${id}` : undefined}>
      <Title order={4}>{title}</Title>
      {description && (
        <Text size="sm" c="dimmed" mb="md">
          {description}
        </Text>
      )}
      {!description && <Box mb="md" />}
      {children}
    </Paper>
  );
}

export function maskKey(key: string): string {
  return key.length > 10 ? `${key.slice(0, 5)}${'•'.repeat(8)}${key.slice(-4)}` : '••••';
}
