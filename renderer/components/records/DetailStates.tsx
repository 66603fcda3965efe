/**
 * The states of a record page before there is a record to show: loading (a skeleton of the page)
 * and not found (deleted, or not synced to this device yet).
 */
import { Button, EmptyState, Grid, Group, Skeleton, Stack } from '@mantine/core';
import { IconArrowLeft, IconUserQuestion } from '@tabler/icons-react';
import { Link } from 'wouter';

export function RecordNotFound({ noun, back, backLabel }: { noun: string; back: string; backLabel: string }) {
  return (
    <EmptyState
      mt={60}
      icon={<IconUserQuestion size={28} />}
      withIndicatorBackground
      title={`This ${noun} is not here`}
      description={`It may have been deleted, or it has not synced to this device yet.`}
      data-testid="record-not-found"
    >
      <EmptyState.Actions>
        <Button component={Link} href={back} variant="default" leftSection={<IconArrowLeft size={16} />}>
          {backLabel}
        </Button>
      </EmptyState.Actions>
    </EmptyState>
  );
}

export function DetailSkeleton() {
  return (
    <Stack gap="md" data-testid="record-loading">
      <Group>
        <Skeleton circle height={56} />
        <Stack gap={6}>
          <Skeleton height={22} width={260} />
          <Skeleton height={14} width={180} />
        </Stack>
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Skeleton height={360} radius="md" />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Skeleton height={360} radius="md" />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
