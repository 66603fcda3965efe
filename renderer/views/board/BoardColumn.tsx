/**
 * One stage: header with count, total and weighted value; a virtualized list of deal cards (so
 * thousands of deals stay smooth) that is also the drop target for the stage.
 */
import { memo, useRef } from 'react';
import { Badge, Box, Group, Paper, Stack, Text, Tooltip } from '@mantine/core';
import { useDroppable } from '@dnd-kit/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { FieldDefinition } from '../../../shared/customFields.js';
import type { StageRecord } from '../../../shared/schemas.js';
import { formatMoney, formatPercent } from '../../lib/format.js';
import { totalsLines, type BoardColumnModel, type CurrencyTotal } from './boardModel.js';
import { CARD_HEIGHT, DealCard, type DealCardActions } from './DealCard.js';

/** Fixed card slots keep the virtualized columns free of layout measuring. */
const CARD_SLOT = CARD_HEIGHT + 8;

interface Props {
  column: BoardColumnModel;
  stages: StageRecord[];
  organizationNames: Map<string, string>;
  ownerNames: Map<string, string>;
  actions: DealCardActions;
  readOnly: boolean;
  /** the custom fields chosen for the cards */
  cardFields: readonly FieldDefinition[];
}

export function TotalsLine({ totals, testId, compact = false }: { totals: CurrencyTotal[]; testId?: string; compact?: boolean }) {
  if (totals.length === 0) {
    return (
      <Text size="xs" c="dimmed" data-testid={testId}>
        No value
      </Text>
    );
  }
  // Currencies are never added together; every one is shown (the line wraps), compact in columns.
  const lines = totalsLines(totals, { compact: compact && totals.length > 1 });
  const all = totals
    .map((t) => `${t.currency}: ${formatMoney(t.total, t.currency)}${t.weighted !== null ? ` (weighted ${formatMoney(t.weighted, t.currency)})` : ''}, ${t.count} deal${t.count === 1 ? '' : 's'}`)
    .join('\n');
  return (
    <Stack gap={0} data-testid={testId} title={all}>
      <Text size="sm" fw={600} data-testid={testId ? `${testId}-amounts` : undefined}>
        {lines.amounts}
      </Text>
      {lines.weighted !== null && (
        <Text size="xs" c="dimmed" data-testid={testId ? `${testId}-weighted` : undefined}>
          weighted {lines.weighted}
        </Text>
      )}
    </Stack>
  );
}

function BoardColumnImpl({ column, stages, organizationNames, ownerNames, actions, readOnly, cardFields }: Props) {
  const { stage, deals, totals } = column;
  const { setNodeRef, isOver } = useDroppable({ id: `stage:${stage.id}`, data: { stageId: stage.id } });
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const virtualizer = useVirtualizer({
    count: deals.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CARD_SLOT,
    overscan: 4,
    getItemKey: (i) => deals[i]!.id,
  });
  return (
    <Paper
      ref={setNodeRef}
      radius="md"
      withBorder
      data-testid={`board-column-${stage.name}`}
      data-stage-id={stage.id}
      data-count={deals.length}
      style={{
        flex: '1 1 0',
        minWidth: 240,
        maxWidth: 360,
        display: 'flex',
        flexDirection: 'column',
        maxHeight: '100%',
        background: isOver ? 'var(--kith-column-over)' : 'var(--kith-column)',
        borderColor: isOver ? 'var(--mantine-color-indigo-4)' : undefined,
        transition: 'background 120ms, border-color 120ms',
      }}
    >
      <Box p="sm" pb={6} style={{ borderBottom: '1px solid var(--kith-border)' }}>
        <Group justify="space-between" wrap="nowrap">
          <Group gap={6} wrap="nowrap">
            <Text fw={700} size="sm" tt="uppercase" c="dimmed" lineClamp={1}>
              {stage.name}
            </Text>
            <Badge size="sm" variant="filled" color="gray" data-testid="column-count">
              {deals.length}
            </Badge>
          </Group>
          {stage.probability !== null && (
            <Tooltip label="Default win probability of this stage">
              <Text size="xs" c="dimmed">
                {formatPercent(stage.probability)}
              </Text>
            </Tooltip>
          )}
        </Group>
        <TotalsLine totals={totals} testId="column-totals" compact />
      </Box>
      <div ref={scrollRef} style={{ overflowY: 'auto', flex: 1, minHeight: 120, padding: 8 }} data-testid="column-scroll">
        {deals.length === 0 ? (
          <Text size="xs" c="dimmed" ta="center" py="lg" style={{ border: '1px dashed var(--mantine-color-gray-4)', borderRadius: 8 }}>
            {readOnly ? 'No deals' : 'Drop a deal here'}
          </Text>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const deal = deals[item.index]!;
              return (
                <div key={item.key} style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: CARD_SLOT, transform: `translateY(${item.start}px)` }}>
                  <DealCard
                    deal={deal}
                    organizationName={deal.organizationId ? (organizationNames.get(deal.organizationId) ?? null) : null}
                    ownerName={deal.ownerId ? (ownerNames.get(deal.ownerId) ?? null) : null}
                    stages={stages}
                    actions={actions}
                    readOnly={readOnly}
                    fields={cardFields}
                  />
                </div>
              );
            })}
          </div>
        )}
      </div>
    </Paper>
  );
}

export const BoardColumn = memo(BoardColumnImpl);
