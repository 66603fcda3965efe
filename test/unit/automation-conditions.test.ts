/**
 * Automation conditions evaluated on one record (shared/conditions.ts) with the list query's
 * operators, relative times, and the daily schedule's day and instant in a time zone
 * (server/domain/automations/queue.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { conditionProblem, conditionsHold, resolveRelative, type Condition, type ConditionKind } from '../../shared/conditions.js';
import { dueDay, instantOf, localDay } from '../../server/domain/automations/queue.js';

const NOW = Date.parse('2026-12-02T10:00:00.000Z');
const KINDS: Record<string, ConditionKind> = {
  status: 'enum',
  title: 'text',
  amount: 'money',
  lastActivityAt: 'datetime',
  expectedCloseDate: 'date',
  labels: 'labels',
  'custom.tier': 'enum',
  'custom.tags': 'multi',
  'custom.budget': 'money',
  'custom.vip': 'boolean',
};
const deal = {
  status: 'open',
  title: 'Acme renewal',
  amount: 12000,
  lastActivityAt: '2026-11-10T09:00:00.000Z',
  expectedCloseDate: '2026-12-20',
  labels: ['eu'],
  custom: { tier: 'gold', tags: ['a', 'b'], budget: { amount: 500, currency: 'EUR' }, vip: true },
};
const holds = (conditions: Condition[], changedFields: string[] | null = null) => conditionsHold(deal, conditions, { changedFields, now: NOW, kindOf: (f) => KINDS[f] ?? null });

describe('automation conditions', () => {
  test('each operator on a record, standard and custom fields alike; all conditions must hold', () => {
    assert.equal(holds([{ field: 'status', value: 'open' }]), true);
    assert.equal(holds([{ field: 'status', value: ['won', 'lost'] }]), false);
    assert.equal(holds([{ field: 'status', op: 'ne', value: 'won' }]), true);
    assert.equal(holds([{ field: 'title', op: 'contains', value: 'acme' }]), true);
    assert.equal(holds([{ field: 'amount', op: 'gte', value: 12000 }]), true);
    assert.equal(holds([{ field: 'amount', op: 'gt', value: '12000' }]), false);
    assert.equal(holds([{ field: 'expectedCloseDate', op: 'lt', value: '2027-01-01' }]), true);
    assert.equal(holds([{ field: 'labels', value: 'eu' }]), true);
    assert.equal(holds([{ field: 'labels', op: 'empty', value: true }]), false);
    assert.equal(holds([{ field: 'custom.tier', value: 'gold' }]), true);
    assert.equal(holds([{ field: 'custom.tags', value: 'b' }]), true);
    assert.equal(holds([{ field: 'custom.budget', op: 'lt', value: 1000 }]), true);
    assert.equal(holds([{ field: 'custom.vip', value: true }]), true);
    assert.equal(holds([{ field: 'custom.missing' as string, value: 'x' }]), false, 'an unknown field never holds');
    assert.equal(
      holds([
        { field: 'status', value: 'open' },
        { field: 'amount', op: 'lt', value: 100 },
      ]),
      false,
    );
  });

  test('relative times: "no activity for 14 days" at the moment it is evaluated', () => {
    assert.equal(resolveRelative('now-14d', 'datetime', NOW), '2026-11-18T10:00:00.000Z');
    assert.equal(resolveRelative('now+2h', 'datetime', NOW), '2026-12-02T12:00:00.000Z');
    assert.equal(resolveRelative('now-1w', 'date', NOW), '2026-11-25');
    assert.equal(resolveRelative('now-14d', 'text', NOW), 'now-14d', 'only dates and times are relative');
    assert.equal(holds([{ field: 'lastActivityAt', op: 'lt', value: 'now-14d' }]), true);
    assert.equal(holds([{ field: 'lastActivityAt', op: 'lt', value: 'now-30d' }]), false);
    // a record without the value is never before or after anything
    assert.equal(conditionsHold({ lastActivityAt: null }, [{ field: 'lastActivityAt', op: 'lt', value: 'now-14d' }], { changedFields: null, now: NOW, kindOf: () => 'datetime' }), false);
  });

  test('changed holds for a change of one of the fields, never for a schedule', () => {
    assert.equal(holds([{ changed: ['stageId', 'status'] }], ['status', 'wonAt']), true);
    assert.equal(holds([{ changed: ['stageId'] }], ['status']), false);
    assert.equal(holds([{ changed: ['status'] }], null), false);
  });

  test('operators a field does not take and values of the wrong kind are named', () => {
    assert.deepEqual(conditionProblem({ field: 'title', op: 'gt', value: 'a' }, 'text'), ['op', 'title is a text field: it takes eq, ne, contains, empty, not gt']);
    assert.deepEqual(conditionProblem({ field: 'amount', op: 'between' as never, value: 1 }, 'money')?.[0], 'op');
    assert.deepEqual(conditionProblem({ field: 'amount', op: 'gt', value: 'lots' }, 'money'), ['value', 'must be a number']);
    assert.match(conditionProblem({ field: 'lastActivityAt', op: 'lt', value: 'yesterday' }, 'datetime')![1], /now-14d/);
    assert.equal(conditionProblem({ field: 'lastActivityAt', op: 'lt', value: 'now-14d' }, 'datetime'), null);
    assert.deepEqual(conditionProblem({ field: 'status', op: 'gt', value: ['a', 'b'] }, 'number'), ['value', 'a list of values (any of them) goes with eq only']);
    assert.deepEqual(conditionProblem({ field: 'labels', op: 'contains', value: 'x' }, 'labels'), ['op', 'labels is a list of labels: it takes eq, empty, not contains']);
  });
});

describe('daily schedules in a time zone', () => {
  test('the local day and the instant of a time on it, across a daylight saving change', () => {
    assert.equal(localDay(Date.parse('2026-12-01T23:30:00Z'), 'Europe/Berlin'), '2026-12-02');
    assert.equal(localDay(Date.parse('2026-12-01T23:30:00Z'), 'UTC'), '2026-12-01');
    assert.equal(new Date(instantOf('2026-12-02', '08:00', 'Europe/Berlin')).toISOString(), '2026-12-02T07:00:00.000Z');
    assert.equal(new Date(instantOf('2026-07-02', '08:00', 'Europe/Berlin')).toISOString(), '2026-07-02T06:00:00.000Z');
    assert.equal(new Date(instantOf('2026-03-29', '08:00', 'Europe/Berlin')).toISOString(), '2026-03-29T06:00:00.000Z', 'the day summer time starts');
    assert.equal(new Date(instantOf('2026-12-02', '06:30', 'Asia/Tokyo')).toISOString(), '2026-12-01T21:30:00.000Z');
    assert.equal(new Date(instantOf('2026-12-02', '06:30', 'America/New_York')).toISOString(), '2026-12-02T11:30:00.000Z');
  });

  test('due once its time has passed today', () => {
    assert.equal(dueDay({ at: '08:00', timeZone: 'Europe/Berlin' }, Date.parse('2026-12-02T06:59:00Z')), null);
    assert.equal(dueDay({ at: '08:00', timeZone: 'Europe/Berlin' }, Date.parse('2026-12-02T07:00:00Z')), '2026-12-02');
    assert.equal(dueDay({ at: '06:30' }, Date.parse('2026-12-02T10:00:00Z')), '2026-12-02');
  });
});
