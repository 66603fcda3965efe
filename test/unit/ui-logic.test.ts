/**
 * Pure UI logic behind issue 15's bugs: the palette ranks the matching record above everything
 * (and searches email, website domain and a deal's organization); the board filter matches
 * organization and contact names; every currency is shown and lost deals carry no weighted value;
 * probabilities are entered as percents.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { DealRecord } from '../../shared/schemas.js';
import { buildColumns, filterDeals, mergeTotals, totalsLines, totalsOf, withMoves } from '../../renderer/views/board/boardModel.js';
import type { StageRecord } from '../../shared/schemas.js';
import { percentToProbability, probabilityToPercent } from '../../renderer/lib/format.js';
import { matchScore, rankCandidates, type PaletteCandidate } from '../../renderer/lib/paletteSearch.js';
import { noteBuild } from '../../renderer/lib/pwa.js';

function deal(over: Partial<DealRecord>): DealRecord {
  return {
    id: over.id ?? 'd',
    title: 'Deal',
    organizationId: null,
    primaryPersonId: null,
    pipelineId: 'p',
    stageId: 's',
    amount: null,
    currency: 'USD',
    valuePeriod: 'one_time',
    probability: null,
    expectedCloseDate: null,
    ownerId: null,
    labels: [],
    status: 'open',
    archivedAt: null,
    updatedAt: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  } as DealRecord;
}

describe('palette ranking', () => {
  const candidates: PaletteCandidate[] = [
    { kind: 'deal', id: 'd1', label: 'Website refresh', also: ['Okafor & Sons'] },
    { kind: 'person', id: 'p1', label: 'Ngozi Okafor', also: ['ngozi@okafor.example', 'Okafor & Sons'] },
    { kind: 'person', id: 'p2', label: 'Bob Brown', also: ['bob@brown.example'] },
    { kind: 'organization', id: 'o1', label: 'Brown Logistics', also: ['brownlogistics.example'] },
  ];

  test('a name match ranks above a match on other fields; non-matches are left out', () => {
    const ranked = rankCandidates('okafor', candidates, 10);
    assert.deepEqual(
      ranked.map((r) => r.id),
      ['p1', 'd1'],
    );
    assert.ok(matchScore('okafor', 'Ngozi Okafor', []) > matchScore('okafor', 'Website refresh', ['Okafor & Sons']));
    assert.equal(matchScore('zzz', 'Ngozi Okafor', ['x']), 0);
  });

  test('exact and prefix matches beat word and substring matches; case-insensitive', () => {
    assert.ok(matchScore('bob', 'Bob', []) > matchScore('bob', 'Bob Brown', []));
    assert.ok(matchScore('bob', 'Bob Brown', []) > matchScore('bob', 'Jim Bobson', []));
    assert.ok(matchScore('bob', 'Jim Bobson', []) > matchScore('bob', 'Kabob', []));
    assert.ok(matchScore('BROWN', 'bob brown', []) > 0);
  });

  test('searches email and website domain', () => {
    assert.deepEqual(
      rankCandidates('ngozi@', candidates, 10).map((r) => r.id),
      ['p1'],
    );
    assert.deepEqual(
      rankCandidates('brownlogistics.example', candidates, 10).map((r) => r.id),
      ['o1'],
    );
  });

  test('keeps at most `limit` results', () => {
    assert.equal(rankCandidates('o', candidates, 2).length, 2);
  });
});

describe('board filter', () => {
  const deals = [
    deal({ id: 'a', title: 'Rocket skates', organizationId: 'acme', primaryPersonId: 'wile' }),
    deal({ id: 'b', title: 'Anvil', organizationId: 'globex' }),
    deal({ id: 'c', title: 'Portal gun', primaryPersonId: 'rick' }),
  ];
  const filters = { ownerId: null, labels: [], search: '', status: 'open' as const };

  test('matches titles, and organization and contact names through the ids that matched', () => {
    assert.deepEqual(
      filterDeals(deals, { ...filters, search: 'rocket' }).map((d) => d.id),
      ['a'],
    );
    const matches = { organizationIds: new Set(['globex']), personIds: new Set(['rick']), dealIds: new Set<string>() };
    assert.deepEqual(
      filterDeals(deals, { ...filters, search: 'glob' }, matches).map((d) => d.id),
      ['b', 'c'],
    );
    // a contact on the deal (not the primary one)
    assert.deepEqual(
      filterDeals(deals, { ...filters, search: 'wile' }, { organizationIds: new Set(), personIds: new Set(), dealIds: new Set(['c']) }).map((d) => d.id),
      ['c'],
    );
  });
});

describe('board totals', () => {
  const probability = () => 0.5;

  test('lost (and won) deals carry no weighted value', () => {
    const [usd] = totalsOf([deal({ id: 'l', status: 'lost', amount: 1000 })], probability);
    assert.equal(usd!.total, 1000);
    assert.equal(usd!.weighted, null);
    const lines = totalsLines([usd!]);
    assert.equal(lines.weighted, null);
    const mixed = totalsOf([deal({ id: 'l', status: 'lost', amount: 1000 }), deal({ id: 'o', amount: 200 })], probability);
    assert.equal(mixed[0]!.weighted, 100);
  });

  test('every currency is shown, in the totals and in the weighted line', () => {
    const totals = totalsOf([deal({ id: '1', amount: 300, currency: 'USD' }), deal({ id: '2', amount: 200, currency: 'EUR' }), deal({ id: '3', amount: 100, currency: 'JPY' })], probability);
    assert.equal(totals.length, 3);
    const lines = totalsLines(totals);
    assert.doesNotMatch(lines.amounts, /\+\d/);
    for (const code of [/\$|USD/, /€|EUR/, /¥|JPY/]) {
      assert.match(lines.amounts, code);
      assert.match(lines.weighted!, code);
    }
  });
});

describe('board columns after one change', () => {
  const stages = ['s1', 's2', 's3'].map((id, position) => ({ id, name: id, pipelineId: 'p', position, probability: [0.1, 0.25, 0.5][position], archivedAt: null }) as unknown as StageRecord);
  const deals = Array.from({ length: 30 }, (_, i) =>
    deal({
      id: `d${i}`,
      stageId: stages[i % 3]!.id,
      amount: 100.25 + i,
      currency: i % 4 === 0 ? 'EUR' : 'USD',
      status: i % 5 === 0 ? 'won' : 'open',
      updatedAt: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
    }),
  );

  test('a move rebuilds only the columns it left and entered; the board totals are the sum of the columns', () => {
    const before = buildColumns(stages, deals);
    const moved = { ...deals[4]!, stageId: 's3', updatedAt: '2026-01-02T00:00:00.000Z' };
    const after = buildColumns(
      stages,
      deals.map((d) => (d.id === moved.id ? moved : d)),
      before,
    );
    assert.equal(after[0], before[0], 'the untouched column keeps its model');
    assert.notEqual(after[1], before[1]);
    assert.deepEqual(
      after[2]!.deals.map((d) => d.id),
      ['d4', ...before[2]!.deals.map((d) => d.id)],
      'the moved deal is first in its new column',
    );
    assert.deepEqual(after, buildColumns(stages, [...deals.filter((d) => d.id !== moved.id), moved]), 'the same columns as built from scratch');
    assert.deepEqual(
      mergeTotals(after.map((c) => c.totals)),
      totalsOf([...deals.filter((d) => d.id !== moved.id), moved], (id) => stages.find((s) => s.id === id)?.probability ?? null),
    );
  });

  test('a pending move shows while the store still has the deal as it was', () => {
    const from = deals[1]!;
    const shown = { ...from, stageId: 's3' };
    const moves = new Map([[from.id, { from, shown }]]);
    assert.equal(withMoves(deals, moves)[1], shown);
    const stored = deals.map((d) => (d.id === from.id ? { ...from, stageId: 's3' } : d));
    assert.equal(withMoves(stored, moves)[1], stored[1], 'a newer stored version wins');
  });
});

describe('probability as percent', () => {
  test('round-trips without float noise', () => {
    assert.equal(probabilityToPercent(0.35), 35);
    assert.equal(probabilityToPercent(0.0725), 7.25);
    assert.equal(probabilityToPercent(null), null);
    assert.equal(percentToProbability(35), 0.35);
    assert.equal(percentToProbability(7.25), 0.0725);
    assert.equal(percentToProbability(100), 1);
    for (let p = 0; p <= 10000; p += 7) assert.equal(probabilityToPercent(percentToProbability(p / 100)), p / 100);
  });
});

describe('the "updated" notice', () => {
  test('shows on the first load of a different build only', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    assert.equal(noteBuild('b1', storage), false, 'first visit: nothing to compare');
    assert.equal(noteBuild('b1', storage), false, 'same build');
    assert.equal(noteBuild('b2', storage), true, 'new build');
    assert.equal(noteBuild('b2', storage), false, 'said once');
    assert.equal(noteBuild(null, storage), false, 'desktop build: no id');
  });
});
