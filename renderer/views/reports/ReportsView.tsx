/**
 * Reports (issue 15, item 3): four charts computed from the local store, so they work offline —
 * open pipeline by stage over time, win rate and cycle time by month, the weighted forecast by
 * expected-close month (per currency), and activities per person per week. Each has its filters
 * and a table view with the same numbers. The arithmetic is in reportsModel.ts.
 */
import { useMemo, useState, type ReactNode } from 'react';
import { AreaChart, BarChart, CompositeChart } from '@mantine/charts';
import { Card, Group, SegmentedControl, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { ActivityRecord, DealRecord, StageChangeRecord } from '../../../shared/schemas.js';
import { useCollectionRows } from '../../components/records/useCollectionRows.js';
import { memberName, useMembers } from '../../hooks/useMembers.js';
import { usePipelinesAndStages } from '../../hooks/usePipelinesAndStages.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { formatMoney } from '../../lib/format.js';
import { activitiesPerWeek, forecast, forecastTotals, lastMonths, pipelineOverTime, weeksBetween, winRateByMonth } from './reportsModel.js';

const COLORS = ['blue.6', 'teal.6', 'grape.6', 'orange.6', 'cyan.6', 'pink.6', 'lime.7', 'indigo.6', 'red.6', 'yellow.7'];
const PERIODS = [
  { value: '8', label: '8 weeks' },
  { value: '13', label: 'Quarter' },
  { value: '26', label: '6 months' },
  { value: '52', label: 'Year' },
];

/** A report's frame: title, its filters, and a switch between the chart and a table of the same numbers. */
function Report({ title, id, filters, chart, table, empty }: { title: string; id: string; filters?: ReactNode; chart: ReactNode; table: ReactNode; empty: boolean }) {
  const [view, setView] = useState<'chart' | 'table'>('chart');
  return (
    <Card withBorder radius="md" padding="md" data-testid={`report-${id}`}>
      <Group justify="space-between" mb="sm" wrap="wrap" gap="xs">
        <Title order={3} size="h5">
          {title}
        </Title>
        <Group gap="xs">
          {filters}
          <SegmentedControl
            size="xs"
            value={view}
            onChange={(v) => setView(v as 'chart' | 'table')}
            data={[
              { value: 'chart', label: 'Chart' },
              { value: 'table', label: 'Table' },
            ]}
            aria-label={`${title}: chart or table`}
          />
        </Group>
      </Group>
      {empty ? (
        <Text size="sm" c="dimmed" py="xl" ta="center">
          Nothing to show for these filters yet.
        </Text>
      ) : view === 'chart' ? (
        chart
      ) : (
        <Table.ScrollContainer minWidth={360} mah={320}>
          <Table fz="sm" striped data-testid={`report-${id}-table`}>
            {table}
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

export function ReportsView() {
  const deals = useCollectionRows<DealRecord>('deals').data;
  const activities = useCollectionRows<ActivityRecord>('activities').data;
  const changes = useRxQuery<StageChangeRecord>('stageChanges', { selector: {} }).data;
  const [pipelineId, setPipelineId] = useState<string | null>(null);
  const { pipelines, pipelineId: effectivePipeline, stages } = usePipelinesAndStages(pipelineId);
  const allStages = useRxQuery<{ id: string; probability: number | null }>('stages', { selector: {} }).data;
  const { byId: members } = useMembers();
  const [weeksBack, setWeeksBack] = useState('13');
  const live = useMemo(() => deals.filter((d) => !d.archivedAt), [deals]);
  // the currencies of the deals, the most used first (the default), never added together
  const currencies = useMemo(() => {
    const counts = new Map<string, number>();
    for (const d of live) counts.set(d.currency, (counts.get(d.currency) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
  }, [live]);
  const [currency, setCurrency] = useState<string | null>(null);
  const shownCurrency = currency ?? currencies[0] ?? 'USD';

  const weeks = useMemo(() => {
    const now = new Date();
    return weeksBetween(new Date(now.getTime() - (Number(weeksBack) - 1) * 7 * 86_400_000), now);
  }, [weeksBack]);
  const months = useMemo(() => lastMonths(Math.max(3, Math.round(Number(weeksBack) / 4.35))), [weeksBack]);

  const pipelineDeals = useMemo(() => live.filter((d) => d.pipelineId === effectivePipeline), [live, effectivePipeline]);
  const series = useMemo(
    () => pipelineOverTime(pipelineDeals, changes, stages, shownCurrency, weeks).map((p) => ({ week: p.week.slice(5), ...Object.fromEntries(stages.map((s) => [s.name, p.values[s.id] ?? 0])) })),
    [pipelineDeals, changes, stages, shownCurrency, weeks],
  );
  const wins = useMemo(() => winRateByMonth(pipelineDeals, months), [pipelineDeals, months]);
  const probability = useMemo(() => {
    const byId = new Map(allStages.map((s) => [s.id, s.probability]));
    return (id: string) => byId.get(id) ?? null;
  }, [allStages]);
  const forecastRows = useMemo(() => forecast(live, probability), [live, probability]);
  const forecastCurrency = forecastRows.filter((r) => r.currency === shownCurrency);
  const forecastTotal = useMemo(() => forecastTotals(forecastRows), [forecastRows]);
  const perWeek = useMemo(
    () =>
      activitiesPerWeek(
        activities.filter((a) => !a.archivedAt),
        weeks,
      ),
    [activities, weeks],
  );
  const actors = useMemo(() => [...new Set(perWeek.flatMap((r) => Object.keys(r.counts)))].sort(), [perWeek]);
  const actorLabel = (id: string) => (id ? memberName(members, id) : 'Nobody');

  const pipelineFilter = (
    <Select
      size="xs"
      w={150}
      aria-label="Pipeline"
      data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
      value={effectivePipeline}
      onChange={(v) => v && setPipelineId(v)}
      allowDeselect={false}
    />
  );
  const currencyFilter = currencies.length > 1 && (
    <Select size="xs" w={90} aria-label="Currency" data={currencies} value={shownCurrency} onChange={(v) => v && setCurrency(v)} allowDeselect={false} data-testid="report-currency" />
  );

  return (
    <Stack gap="md" data-testid="reports">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Reports
        </Title>
        <SegmentedControl size="xs" value={weeksBack} onChange={setWeeksBack} data={PERIODS} aria-label="Period" />
      </Group>
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
        <Report
          id="pipeline"
          title={`Open pipeline by stage (${shownCurrency})`}
          filters={
            <>
              {pipelineFilter}
              {currencyFilter}
            </>
          }
          empty={pipelineDeals.length === 0}
          chart={
            <AreaChart
              h={260}
              data={series}
              dataKey="week"
              type="stacked"
              series={stages.map((s, i) => ({ name: s.name, color: COLORS[i % COLORS.length]! }))}
              valueFormatter={(v) => formatMoney(v, shownCurrency, { compact: true })}
              withLegend
            />
          }
          table={
            <>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Week of</Table.Th>
                  {stages.map((s) => (
                    <Table.Th key={s.id}>{s.name}</Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {series.map((row) => (
                  <Table.Tr key={row.week}>
                    <Table.Td>{row.week}</Table.Td>
                    {stages.map((s) => (
                      <Table.Td key={s.id}>{formatMoney((row as Record<string, unknown>)[s.name] as number, shownCurrency)}</Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </>
          }
        />
        <Report
          id="win-rate"
          title="Win rate and cycle time"
          filters={pipelineFilter}
          empty={wins.every((w) => w.won + w.lost === 0)}
          chart={
            <CompositeChart
              h={260}
              data={wins.map((w) => ({ month: w.month, 'Win rate %': w.winRate === null ? 0 : Math.round(w.winRate * 100), 'Cycle (days)': w.avgCycleDays ?? 0 }))}
              dataKey="month"
              series={[
                { name: 'Win rate %', color: 'teal.6', type: 'bar' },
                { name: 'Cycle (days)', color: 'grape.6', type: 'line' },
              ]}
              withLegend
            />
          }
          table={
            <>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Month</Table.Th>
                  <Table.Th>Won</Table.Th>
                  <Table.Th>Lost</Table.Th>
                  <Table.Th>Win rate</Table.Th>
                  <Table.Th>Average cycle</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {wins.map((w) => (
                  <Table.Tr key={w.month}>
                    <Table.Td>{w.month}</Table.Td>
                    <Table.Td>{w.won}</Table.Td>
                    <Table.Td>{w.lost}</Table.Td>
                    <Table.Td>{w.winRate === null ? '—' : `${Math.round(w.winRate * 100)}%`}</Table.Td>
                    <Table.Td>{w.avgCycleDays === null ? '—' : `${w.avgCycleDays} days`}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </>
          }
        />
        <Report
          id="forecast"
          title={`Forecast by expected close (${shownCurrency})`}
          filters={currencyFilter}
          empty={forecastCurrency.length === 0}
          chart={
            <BarChart
              h={260}
              data={forecastCurrency.map((r) => ({ month: r.month, Weighted: r.weighted, 'Total value': r.value }))}
              dataKey="month"
              series={[
                { name: 'Weighted', color: 'blue.6' },
                { name: 'Total value', color: 'gray.4' },
              ]}
              valueFormatter={(v) => formatMoney(v, shownCurrency, { compact: true })}
              withLegend
            />
          }
          table={
            <>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Month</Table.Th>
                  <Table.Th>Currency</Table.Th>
                  <Table.Th>Deals</Table.Th>
                  <Table.Th>Value</Table.Th>
                  <Table.Th>Weighted</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {forecastRows.map((r) => (
                  <ForecastRowView key={`${r.month}-${r.currency}`} label={r.month} row={r} testId={`forecast-${r.month}-${r.currency}`} />
                ))}
              </Table.Tbody>
              <Table.Tfoot fw={600}>
                {forecastTotal.map((t) => (
                  <ForecastRowView key={t.currency} label="Total" row={t} testId={`total-forecast-${t.currency}`} />
                ))}
              </Table.Tfoot>
            </>
          }
        />
        <Report
          id="activities"
          title="Activities per person per week"
          empty={actors.length === 0}
          chart={
            <BarChart
              h={260}
              data={perWeek.map((r) => ({ week: r.week.slice(5), ...Object.fromEntries(actors.map((a) => [actorLabel(a), r.counts[a] ?? 0])) }))}
              dataKey="week"
              type="stacked"
              series={actors.map((a, i) => ({ name: actorLabel(a), color: COLORS[i % COLORS.length]! }))}
              withLegend
            />
          }
          table={
            <>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Week of</Table.Th>
                  {actors.map((a) => (
                    <Table.Th key={a}>{actorLabel(a)}</Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {perWeek.map((r) => (
                  <Table.Tr key={r.week}>
                    <Table.Td>{r.week}</Table.Td>
                    {actors.map((a) => (
                      <Table.Td key={a}>{r.counts[a] ?? 0}</Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </>
          }
        />
      </SimpleGrid>
    </Stack>
  );
}

/** A row of the forecast's table: a month's (or the total's) count, value and weighted value in one currency. */
function ForecastRowView({ label, row, testId }: { label: string; row: { currency: string; count: number; value: number; weighted: number }; testId: string }) {
  return (
    <Table.Tr data-testid={testId}>
      <Table.Td>{label}</Table.Td>
      <Table.Td>{row.currency}</Table.Td>
      <Table.Td>{row.count}</Table.Td>
      <Table.Td>{formatMoney(row.value, row.currency)}</Table.Td>
      <Table.Td data-weighted={row.weighted}>{formatMoney(row.weighted, row.currency)}</Table.Td>
    </Table.Tr>
  );
}
