/**
 * Deals related to a person or an organization: title (link), stage, amount, status and — for
 * people — their role on the deal. Stage names come from one query.
 */
import { Anchor, Badge, Group, Paper, Stack, Text } from '@mantine/core';
import { useMemo } from 'react';
import { Link } from 'wouter';
import type { DealRecord, StageRecord } from '../../../shared/schemas.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { formatMoney } from '../../lib/format.js';

const STATUS_COLOR: Record<string, string> = { open: 'blue', won: 'green', lost: 'red' };

function DealStatusBadge({ status }: { status: string }) {
  return (
    <Badge size="sm" variant="light" color={STATUS_COLOR[status] ?? 'gray'} radius="sm">
      {status}
    </Badge>
  );
}

/** Open first, then won, then lost; newest first within each. */
function dealOrder(a: DealRecord, b: DealRecord): number {
  const rank = (d: DealRecord) => (d.status === 'open' ? 0 : d.status === 'won' ? 1 : 2);
  return rank(a) - rank(b) || (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0);
}

export function RelatedDeals({ deals, roles, emptyText }: { deals: readonly DealRecord[]; roles?: Map<string, string[]>; emptyText: string }) {
  const stageIds = useMemo(() => [...new Set(deals.map((d) => d.stageId))].sort(), [deals]);
  const { data: stages } = useRxQuery<StageRecord>('stages', stageIds.length > 0 ? { selector: { id: { $in: stageIds } } } : null);
  const stageName = useMemo(() => new Map(stages.map((s) => [s.id, s.name])), [stages]);
  const sorted = useMemo(() => deals.filter((d) => !d.archivedAt).sort(dealOrder), [deals]);

  if (sorted.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="related-deals-empty">
        {emptyText}
      </Text>
    );
  }
  return (
    <Stack gap={6} data-testid="related-deals">
      {sorted.map((d) => (
        <Paper key={d.id} withBorder radius="sm" px="sm" py={8} data-testid={`related-deal-${d.id}`}>
          <Group justify="space-between" wrap="nowrap" gap="xs">
            <Stack gap={2} style={{ minWidth: 0 }}>
              <Anchor component={Link} href={`/deals/${d.id}`} size="sm" fw={500} truncate>
                {d.title}
              </Anchor>
              <Group gap={6}>
                <Text size="xs" c="dimmed">
                  {stageName.get(d.stageId) ?? 'Stage'}
                </Text>
                {(roles?.get(d.id) ?? []).map((r) => (
                  <Badge key={r} size="xs" variant="outline" color="gray" radius="sm" style={{ textTransform: 'none' }}>
                    {r}
                  </Badge>
                ))}
              </Group>
            </Stack>
            <Stack gap={2} align="flex-end" style={{ flexShrink: 0 }}>
              <Text size="sm" fw={500}>
                {formatMoney(d.amount, d.currency)}
              </Text>
              <DealStatusBadge status={d.status} />
            </Stack>
          </Group>
        </Paper>
      ))}
    </Stack>
  );
}
