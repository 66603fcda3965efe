/**
 * Settings → Import: where the import page is (for whoever may create records; a viewer is not
 * offered it), and what it does.
 */
import { Button, Group, Text } from '@mantine/core';
import { IconArrowMerge, IconFileImport } from '@tabler/icons-react';
import { Link } from 'wouter';
import { usePermissions } from '../../hooks/usePermissions.js';
import { Section } from '../settings/Section.js';

export function ImportSection() {
  const { can } = usePermissions();
  if (!(['organizations', 'people', 'deals', 'activities', 'records'] as const).some((c) => can('create', c))) return null;
  return (
    <Section id="import" title="Import" description="Bring records in from a spreadsheet or another CRM: a CSV or JSON file, checked row by row before anything is written.">
      <Group gap="sm">
        <Button component={Link} href="/settings/import" leftSection={<IconFileImport size={16} />} data-testid="settings-import-open">
          Import a file
        </Button>
        <Button component={Link} href="/duplicates" variant="default" leftSection={<IconArrowMerge size={16} />}>
          Review duplicates
        </Button>
        <Text size="sm" c="dimmed">
          Import needs a connection to the server.
        </Text>
      </Group>
    </Section>
  );
}
