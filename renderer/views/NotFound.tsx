import { Button, Center, EmptyState } from '@mantine/core';
import { IconMapOff } from '@tabler/icons-react';
import { Link } from 'wouter';

export function NotFound() {
  return (
    <Center mih={400}>
      <EmptyState icon={<IconMapOff />} title="Page not found" description="There is nothing at this address.">
        <Button component={Link} href="/" variant="light">
          Back to the board
        </Button>
      </EmptyState>
    </Center>
  );
}
