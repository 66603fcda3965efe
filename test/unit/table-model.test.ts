/**
 * The record tables' in-memory model (renderer/components/records/tableModel.ts): the sort a user
 * gets by clicking a column (numbers, amounts by currency, text; empty values last either way; ties
 * in the rows' order) checked against a plain reference sort on random data, and the filters (search
 * text, labels, archived) over the sorted rows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { filterRows, indexRows, reverseKeepingEmptyLast, SearchText, sortRows, type SortKey } from '../../renderer/components/records/tableModel.js';

interface Row {
  id: string;
  title: string | null;
  amount: number | null;
  currency: string;
  closes: string | null;
  labels: string[];
  archivedAt: string | null;
}

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

function rows(n: number, seed: number): Row[] {
  const r = rand(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  return Array.from({ length: n }, (_, i) => ({
    id: `d${i}`,
    title: r() < 0.05 ? null : r() < 0.05 ? '' : `${pick(['Acme', 'acme', 'Globex', 'Initech', 'Ümlaut'])} ${Math.floor(r() * 50)}`,
    amount: r() < 0.1 ? null : r() < 0.02 ? -0 : pick([0, 10, 10.5, 99.99, 1e9, -5, Math.floor(r() * 1000)]),
    currency: pick(['USD', 'EUR', 'GBP']),
    closes: r() < 0.2 ? null : `2026-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-01`,
    labels: r() < 0.3 ? ['vip'] : [],
    archivedAt: r() < 0.1 ? '2026-01-01T00:00:00.000Z' : null,
  }));
}

/** What the user expects: by text (case-insensitive), then number; empty last; ties in row order. */
function reference(list: Row[], keyOf: (row: Row) => SortKey, direction: 'asc' | 'desc', ties: 'in order' | 'reversed' = 'in order'): string[] {
  const empty = (k: SortKey) => k == null || k === '' || Number.isNaN(typeof k === 'object' ? k[1] : k);
  const parts = (k: SortKey): [string, number] => (typeof k === 'string' ? [k.toLowerCase(), 0] : typeof k === 'number' ? ['', k] : [k![0], k![1]]);
  const sign = direction === 'asc' ? 1 : -1;
  return list
    .map((row, i) => ({ row, i, key: keyOf(row) }))
    .sort((a, b) => {
      const ea = empty(a.key);
      const eb = empty(b.key);
      if (ea || eb) return ea === eb ? a.i - b.i : ea ? 1 : -1;
      const [ta, na] = parts(a.key);
      const [tb, nb] = parts(b.key);
      if (ta !== tb) return ta < tb ? -sign : sign;
      if (na !== nb) return na < nb ? -sign : sign;
      return ties === 'in order' ? a.i - b.i : b.i - a.i;
    })
    .map((x) => x.row.id);
}

/** The rows as the tables index them: labels, archived when `archivedAt` is set. */
const indexOf = (list: Row[]) =>
  indexRows(
    list,
    (r) => r.labels,
    (r) => !!r.archivedAt,
  );

const KEYS: Record<string, (row: Row) => SortKey> = {
  title: (row) => row.title,
  amount: (row) => (row.amount == null ? null : ([row.currency, row.amount] as const)),
  number: (row) => row.amount,
  closes: (row) => row.closes,
  currency: (row) => row.currency,
  nan: (row) => (row.amount == null ? Number.NaN : row.amount),
};

describe('sorting a table by a column', () => {
  for (const [name, keyOf] of Object.entries(KEYS)) {
    test(`by ${name}, both directions, matches the reference order`, () => {
      for (const seed of [1, 2, 3]) {
        const list = rows(2000, seed);
        const indexed = indexOf(list);
        for (const direction of ['asc', 'desc'] as const) {
          const got = sortRows(indexed, keyOf, direction).map((r) => r.row.id);
          assert.deepEqual(got, reference(list, keyOf, direction), `${name} ${direction} (seed ${seed})`);
        }
        // the page sorts ascending once and reverses that for descending: ties reversed, empty values still last
        const reversed = reverseKeepingEmptyLast(sortRows(indexed, keyOf, 'asc'), keyOf).map((r) => r.row.id);
        assert.deepEqual(reversed, reference(list, keyOf, 'desc', 'reversed'), `${name} reversed (seed ${seed})`);
      }
    });
  }

  test('amounts group by currency, then by value', () => {
    const list = rows(500, 9);
    const indexed = indexOf(list);
    const sorted = sortRows(indexed, KEYS.amount!, 'asc')
      .map((r) => r.row)
      .filter((r) => r.amount != null);
    const currencies = sorted.map((r) => r.currency);
    assert.deepEqual([...new Set(currencies)], ['EUR', 'GBP', 'USD']);
    for (let i = 1; i < sorted.length; i++) if (sorted[i]!.currency === sorted[i - 1]!.currency) assert.ok(sorted[i]!.amount! >= sorted[i - 1]!.amount!);
  });
});

describe('filtering the sorted rows', () => {
  test('search text, labels and archived combine, and keep the order', () => {
    const list = rows(3000, 4);
    const indexed = indexOf(list);
    const sorted = sortRows(indexed, KEYS.title!, 'asc');
    let names = new Map([['d1', 'Zebra Corp']]);
    const search = new SearchText(indexed, (r: Row) => `${r.title ?? ''}\n${names.get(r.id) ?? ''}`);
    const got = filterRows(sorted, { query: 'ACME  1', labels: ['vip'], archived: 'active' }, search).map((r) => r.row.id);
    const want = sorted
      .filter((r) => !r.row.archivedAt && r.row.labels.includes('vip') && (r.row.title ?? '').toLowerCase().includes('acme') && (r.row.title ?? '').includes('1'))
      .map((r) => r.row.id);
    assert.ok(want.length > 5, 'the data has matches');
    assert.deepEqual(got, want);
    assert.deepEqual(
      filterRows(sorted, { query: 'zebra', labels: [], archived: 'all' }, search).map((r) => r.row.id),
      ['d1'],
    );
    // new names (organizations loaded later) are a new SearchText over the same index
    names = new Map([['d2', 'Zebra Corp']]);
    const next = new SearchText(indexed, (r: Row) => `${r.title ?? ''}\n${names.get(r.id) ?? ''}`);
    assert.deepEqual(
      filterRows(sorted, { query: 'zebra', labels: [], archived: 'all' }, next).map((r) => r.row.id),
      ['d2'],
    );
    assert.equal(filterRows(sorted, { query: '', labels: [], archived: 'archived' }, search).length, list.filter((r) => r.archivedAt).length);
  });
});
