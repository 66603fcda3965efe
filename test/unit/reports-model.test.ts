/**
 * The reports' arithmetic (issue 15, item 3) on hand-made deals, stage changes and activities:
 * the pipeline at each week's end follows the stage history, win rate and cycle time per month,
 * the forecast weighted by the deal's or its stage's probability per currency (exact money), and
 * activities per person per week.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { ActivityRecord, DealRecord, StageChangeRecord, StageRecord } from '../../shared/schemas.js';
import { activitiesPerWeek, forecast, lastMonths, pipelineOverTime, weekOf, weeksBetween, winRateByMonth } from '../../renderer/views/reports/reportsModel.js';

const base = { workspaceId: 'w', version: 1, archivedAt: null, updatedAt: '2026-01-01T00:00:00.000Z' };
const stage = (id: string, probability: number | null): StageRecord => ({ ...base, id, createdAt: base.updatedAt, pipelineId: 'p', name: id, position: 0, probability }) as StageRecord;
function deal(id: string, fields: Partial<DealRecord>): DealRecord {
  return {
    ...base,
    id,
    createdAt: '2026-03-02T09:00:00.000Z',
    title: id,
    organizationId: null,
    primaryPersonId: null,
    pipelineId: 'p',
    stageId: 'lead',
    amount: 100,
    currency: 'USD',
    valuePeriod: 'one_time',
    probability: null,
    expectedCloseDate: null,
    status: 'open',
    wonAt: null,
    lostAt: null,
    lostReason: null,
    linkedProjectId: null,
    notes: null,
    labels: [],
    ownerId: null,
    custom: {},
    ...fields,
  } as DealRecord;
}
const change = (dealId: string, from: string | null, to: string, changedAt: string, amount: number): StageChangeRecord =>
  ({
    ...base,
    id: `${dealId}-${changedAt}`,
    createdAt: changedAt,
    dealId,
    pipelineId: 'p',
    fromStageId: from,
    toStageId: to,
    amount,
    currency: 'USD',
    changedAt,
    actorId: null,
    source: 'rest',
  }) as StageChangeRecord;

describe('reports', () => {
  test('weeks start on Monday', () => {
    assert.equal(weekOf('2026-03-04T12:00:00'), '2026-03-02'); // a Wednesday
    assert.equal(weekOf('2026-03-08T23:00:00'), '2026-03-02'); // the Sunday after
    assert.deepEqual(weeksBetween(new Date('2026-03-04T12:00:00'), new Date('2026-03-17T12:00:00')), ['2026-03-02', '2026-03-09', '2026-03-16']);
  });

  test('the pipeline at each week’s end follows the stage history and the amount at the time', () => {
    const stages = [stage('lead', 0.1), stage('proposal', 0.5)];
    const deals = [
      deal('a', { stageId: 'proposal', amount: 300 }), // lead (100) in week 1, proposal (300) from week 2
      deal('b', { createdAt: '2026-03-10T09:00:00.000Z', stageId: 'lead', amount: 50 }), // from week 2
      deal('c', { status: 'won', wonAt: '2026-03-11T09:00:00.000Z' }), // open in week 1 only
      deal('d', { currency: 'EUR' }), // another currency: not in the USD series
    ];
    const changes = [
      change('a', null, 'lead', '2026-03-02T09:00:00.000Z', 100),
      change('a', 'lead', 'proposal', '2026-03-10T09:00:00.000Z', 300),
      change('c', null, 'lead', '2026-03-02T09:00:00.000Z', 100),
    ];
    const series = pipelineOverTime(deals, changes, stages, 'USD', ['2026-03-02', '2026-03-09']);
    assert.deepEqual(series[0], { week: '2026-03-02', counts: { lead: 2 }, values: { lead: 200 } });
    assert.deepEqual(series[1], { week: '2026-03-09', counts: { proposal: 1, lead: 1 }, values: { proposal: 300, lead: 50 } });
  });

  test('win rate and average cycle time per month of closing', () => {
    const deals = [
      deal('w1', { status: 'won', createdAt: '2026-03-01T00:00:00.000Z', wonAt: '2026-03-11T00:00:00.000Z' }), // 10 days
      deal('w2', { status: 'won', createdAt: '2026-03-01T00:00:00.000Z', wonAt: '2026-03-21T00:00:00.000Z' }), // 20 days
      deal('l1', { status: 'lost', lostAt: '2026-03-15T00:00:00.000Z' }),
      deal('l2', { status: 'lost', lostAt: '2026-04-15T00:00:00.000Z' }),
      deal('o', {}),
    ];
    assert.deepEqual(winRateByMonth(deals, ['2026-02', '2026-03', '2026-04']), [
      { month: '2026-02', won: 0, lost: 0, winRate: null, avgCycleDays: null },
      { month: '2026-03', won: 2, lost: 1, winRate: 2 / 3, avgCycleDays: 15 },
      { month: '2026-04', won: 0, lost: 1, winRate: 0, avgCycleDays: null },
    ]);
  });

  test('the forecast weighs open deals by their probability, else their stage’s, per month and currency, exactly', () => {
    const probability = (id: string) => ({ lead: 0.1, proposal: 0.5 })[id] ?? null;
    const deals = [
      deal('a', { expectedCloseDate: '2026-05-10', amount: 1000.1, probability: 0.3333 }),
      deal('b', { expectedCloseDate: '2026-05-20', amount: 0.2, stageId: 'proposal' }),
      deal('c', { expectedCloseDate: '2026-05-20', amount: 500, currency: 'EUR' }),
      deal('d', { expectedCloseDate: '2026-06-01', amount: null }),
      deal('won', { expectedCloseDate: '2026-05-01', status: 'won', wonAt: '2026-04-01T00:00:00.000Z' }),
      deal('undated', { amount: 999 }),
    ];
    assert.deepEqual(forecast(deals, probability), [
      { month: '2026-05', currency: 'EUR', count: 1, value: 500, weighted: 50 },
      { month: '2026-05', currency: 'USD', count: 2, value: 1000.3, weighted: 333.4333 }, // 333.33333 rounds to 333.3333, + 0.1
      { month: '2026-06', currency: 'USD', count: 1, value: 0, weighted: 0 },
    ]);
  });

  test('activities per person per week', () => {
    const act = (actorId: string | null, occurredAt: string) => ({ ...base, id: occurredAt + actorId, createdAt: occurredAt, type: 'call', actorId, occurredAt }) as unknown as ActivityRecord;
    const rows = activitiesPerWeek(
      [act('ana', '2026-03-03T10:00:00'), act('ana', '2026-03-04T10:00:00'), act('bo', '2026-03-10T10:00:00'), act(null, '2026-03-10T11:00:00'), act('ana', '2026-01-01T10:00:00')],
      ['2026-03-02', '2026-03-09'],
    );
    assert.deepEqual(rows, [
      { week: '2026-03-02', counts: { ana: 2 } },
      { week: '2026-03-09', counts: { bo: 1, '': 1 } },
    ]);
    assert.deepEqual(lastMonths(3, new Date('2026-03-15T00:00:00')), ['2026-01', '2026-02', '2026-03']);
  });
});
