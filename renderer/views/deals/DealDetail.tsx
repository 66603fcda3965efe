/**
 * A deal's page: its summary with won / lost / reopen and archive / delete, the stage bar, the
 * editable details (DealForm), contacts with roles, activities, stage history and the record's
 * audit history. Whatever the signed-in role may not do is disabled (saying why) or not offered.
 */
import { useMemo } from 'react';
import { Anchor, Badge, Box, Breadcrumbs, Grid, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { Link, useLocation } from 'wouter';
import type { DealRecord, StageRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { ActivityComposer } from '../../components/activities/ActivityComposer.js';
import { ActivityTimeline } from '../../components/activities/ActivityTimeline.js';
import { useSave } from '../../components/forms.js';
import { DetailSkeleton, RecordNotFound } from '../../components/records/DetailStates.js';
import { ArchivedBanner, RecordActions } from '../../components/records/RecordActions.js';
import { RecordHistory } from '../../components/records/RecordHistory.js';
import { useLabelSuggestions } from '../../components/records/useLabelSuggestions.js';
import { useRxDoc, useRxQuery } from '../../hooks/useRx.js';
import { formatDate, formatMoney, formatPercent, formatRelative } from '../../lib/format.js';
import { DealContacts } from './DealContacts.js';
import { DealForm, PERIOD_LABEL } from './DealForm.js';
import { DealOutcomeButtons, useDealOutcome } from './outcome.js';
import { StageBar } from './StageBar.js';
import { StageHistory } from './StageHistory.js';
import { RelatedRecords } from '../../components/records/RelatedRecords.js';

const STATUS_COLOR: Record<DealRecord['status'], string> = { open: 'blue', won: 'teal', lost: 'red' };

/** "$4,200 monthly · probability 40 % · closes … · updated …" */
function summaryOf(deal: DealRecord, stageProbability: number | null): string {
  const parts = [
    formatMoney(deal.amount, deal.currency) + (deal.valuePeriod !== 'one_time' ? ` ${PERIOD_LABEL[deal.valuePeriod]?.toLowerCase()}` : ''),
    // a won or lost deal has no chance left to weigh
    deal.status === 'open' ? `probability ${formatPercent(deal.probability ?? stageProbability)}` : null,
    deal.expectedCloseDate ? `closes ${formatDate(deal.expectedCloseDate)}` : null,
    `updated ${formatRelative(deal.updatedAt)}`,
    deal.status === 'won' && deal.wonAt ? `won ${formatDate(deal.wonAt)}` : null,
    deal.status === 'lost' && deal.lostAt ? `lost ${formatDate(deal.lostAt)}${deal.lostReason ? ` (${deal.lostReason})` : ''}` : null,
  ];
  return parts.filter(Boolean).join(' · ');
}

export function DealDetail({ id }: { id: string }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { save } = useSave();
  const outcome = useDealOutcome();
  const { doc: deal, loading } = useRxDoc<DealRecord>('deals', id);
  const labelSuggestions = useLabelSuggestions('deals');
  const { data: allStages } = useRxQuery<StageRecord>('stages', { selector: {} });
  const pipelineStages = useMemo(() => allStages.filter((s) => deal && s.pipelineId === deal.pipelineId && !s.archivedAt).sort((a, b) => a.position - b.position), [allStages, deal]);

  if (loading) return <DetailSkeleton />;
  if (!deal) return <RecordNotFound noun="deal" back="/" backLabel="Back to the board" />;

  const stageProbability = pipelineStages.find((s) => s.id === deal.stageId)?.probability ?? null;
  const moveStage = (stageId: string) => void save(() => store.update('deals', deal.id, { stageId }), { success: `Moved to ${pipelineStages.find((s) => s.id === stageId)?.name ?? 'stage'}` });

  return (
    <Box maw={1400} mx="auto" data-testid="deal-detail" data-deal-id={deal.id}>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} href="/" size="sm">
          Board
        </Anchor>
        <Text size="sm" c="dimmed">
          {deal.title}
        </Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start" mb="md" wrap="nowrap">
        <div style={{ minWidth: 0 }}>
          <Group gap="sm">
            <Title order={2} data-testid="deal-title-heading" style={{ wordBreak: 'break-word' }}>
              {deal.title}
            </Title>
            <Badge size="lg" color={STATUS_COLOR[deal.status]} variant="light" data-testid="deal-status">
              {deal.status}
            </Badge>
          </Group>
          <Text c="dimmed" size="sm" mt={4}>
            {summaryOf(deal, stageProbability)}
          </Text>
        </div>
        <Group gap="xs" wrap="nowrap">
          <DealOutcomeButtons deal={deal} outcome={outcome} />
          <RecordActions collection="deals" id={deal.id} name={deal.title} archivedAt={deal.archivedAt} onDeleted={() => navigate('/')} />
        </Group>
      </Group>
      <Stack gap="md" mb="md">
        <ArchivedBanner archivedAt={deal.archivedAt} noun="deal" />
        <StageBar deal={deal} stages={pipelineStages} onMove={moveStage} />
      </Stack>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="md">
            <Paper withBorder radius="md" p="md">
              <Title order={5} mb="sm">
                Details
              </Title>
              <DealForm
                key={deal.id}
                deal={deal}
                labelSuggestions={labelSuggestions}
                submitLabel="Save changes"
                onSubmit={(patch, form) => save(() => store.update('deals', deal.id, patch), { success: 'Deal saved', form })}
              />
            </Paper>
            <DealContacts dealId={deal.id} primaryPersonId={deal.primaryPersonId} organizationId={deal.organizationId} />
            <Paper withBorder radius="md" p="md" data-testid="deal-activities">
              <Title order={5} mb="sm">
                Activity
              </Title>
              <ActivityComposer dealId={deal.id} organizationId={deal.organizationId} personId={deal.primaryPersonId} />
              <Box mt="md">
                <ActivityTimeline dealId={deal.id} />
              </Box>
            </Paper>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Stack gap="md">
            <StageHistory dealId={deal.id} stages={allStages} />
            <RelatedRecords collection="deals" id={deal.id} />
            <Paper withBorder radius="md" p="md">
              <Title order={5} mb="sm">
                History
              </Title>
              <RecordHistory entityType="deal" entityId={deal.id} />
            </Paper>
          </Stack>
        </Grid.Col>
      </Grid>
      {outcome.modal}
    </Box>
  );
}
