/** Settings → Keyboard shortcuts. */
import { Group, Kbd, SimpleGrid, Text } from '@mantine/core';
import { SHORTCUTS } from '../../app/shortcuts.js';
import { Section } from './Section.js';

export function ShortcutsSection() {
  return (
    <Section title="Keyboard shortcuts">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing={6}>
        {SHORTCUTS.map(([keys, what]) => (
          <Group key={keys} gap="sm" wrap="nowrap">
            <Kbd w={90} style={{ textAlign: 'center' }}>
              {keys}
            </Kbd>
            <Text size="sm">{what}</Text>
          </Group>
        ))}
      </SimpleGrid>
    </Section>
  );
}
