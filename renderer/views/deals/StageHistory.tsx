/**
 * Every stage move of a deal (recorded by the server, from any source), newest first.
 */
import { useMemo } from 'react';
import { Paper, Text, Timeline, Title, Tooltip } from '@mantine/core';
import { IconArrowRight, IconFlag } from '@tabler/icons-react';
import type { StageChangeRecord, StageRecord } from '../../../shared/schemas.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { memberName, useMembers } from '../../hooks/useMembers.js';
import { formatDateTime, formatMoney, formatRelative } from '../../lib/format.js';

const SOURCE_LABEL: Record<string, string> = { rest: 'API', mcp: 'agent (MCP)', sync: 'app', cli: 'CLI', system: 'system' };

export function StageHistory({ dealId, stages }: { dealId: string; stages: StageRecord[] }) {
  const { data } = useRxQuery<StageChangeRecord>('stageChanges', { selector: { dealId } });
  const { byId } = useMembers();
  const names = useMemo(() => new Map(stages.map((s) => [s.id, s.name])), [stages]);
  const changes = useMemo(() => [...data].sort((a, b) => (a.changedAt < b.changedAt ? 1 : a.changedAt > b.changedAt ? -1 : b.version - a.version)), [data]);
  return (
    <Paper withBorder radius="md" p="md" data-testid="stage-history">
      <Title order={5} mb="sm">
        Stage history
      </Title>
      {changes.length === 0 ? (
        <Text size="sm" c="dimmed">
          No stage moves recorded yet. Moves appear here once the server has them.
        </Text>
      ) : (
        <Timeline bulletSize={22} lineWidth={2} active={0}>
          {changes.map((c) => (
            <Timeline.Item
              key={c.id}
              bullet={c.fromStageId ? <IconArrowRight size={12} /> : <IconFlag size={12} />}
              title={
                <Text size="sm" fw={500} data-testid="stage-change">
                  {c.fromStageId ? `${names.get(c.fromStageId) ?? 'Unknown stage'} → ${names.get(c.toStageId) ?? 'Unknown stage'}` : `Entered ${names.get(c.toStageId) ?? 'Unknown stage'}`}
                </Text>
              }
            >
              <Text size="xs" c="dimmed">
                {formatMoney(c.amount, c.currency)} · {memberName(byId, c.actorId)} via {SOURCE_LABEL[c.source] ?? c.source}
              </Text>
              <Tooltip label={formatDateTime(c.changedAt)}>
                <Text size="xs" c="dimmed">
                  {formatRelative(c.changedAt)}
                </Text>
              </Tooltip>
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </Paper>
  );
}
