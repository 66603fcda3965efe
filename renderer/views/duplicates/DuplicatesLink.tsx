/** The People and Organizations tables' way to the duplicates page (their kind preselected). */
import { Button } from '@mantine/core';
import { IconArrowMerge } from '@tabler/icons-react';
import { Link } from 'wouter';

export function DuplicatesLink({ entity }: { entity: 'person' | 'organization' }) {
  return (
    <Button component={Link} href={`/duplicates?entity=${entity}`} variant="default" leftSection={<IconArrowMerge size={16} />} data-testid="open-duplicates">
      Duplicates
    </Button>
  );
}
