/**
 * Filtered lists read in their order whatever share of the records the filters match (issue 12,
 * server/store/ordered.ts): on SQLite a list whose filter has an index but whose order another
 * index gives is read through the order's index over its first rows, and the rest of the page (a
 * rare filter) by the filter's index. Whichever way a page is read, paging through a list gives
 * exactly the matching records, newest first (or in the asked order, empty values last), once each,
 * and `count=true` counts them — here with 1,500 deals, more than the rows read first.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
interface Deal {
  id: string;
  title: string;
  amount: number;
  currency: string;
  createdAt: string;
  lastActivityAt: string | null;
}
let deals: Deal[] = [];
const N = 1500;

async function pages(query: string, limit: number): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < N; guard++) {
    const res = await server.api('GET', `/crm/deals?${query}&limit=${limit}&count=true${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    ids.push(...res.body.data.map((d: Deal) => d.id));
    cursor = res.body.nextCursor;
    if (!cursor) return { ids, total: res.body.total };
  }
  throw new Error('no last page');
}

/** Newest first, ties by id (the lists' default order). */
const newestFirst = (a: Deal, b: Deal) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);

beforeAll(async () => {
  server = await startTestServer();
  const rows = ['Title;Amount;Currency'];
  for (let i = 1; i <= N; i++) rows.push(`Deal ${i};${i};${i % 10 === 0 ? 'EUR' : 'USD'}`);
  const validated = await server.api('POST', '/crm/imports?entity=deals', rows.join('\n'), { headers: { 'content-type': 'text/csv' } });
  assert.equal(validated.status, 200, JSON.stringify(validated.body));
  assert.equal(validated.body.counts.create, N, JSON.stringify(validated.body.counts));
  const commit = await server.api('POST', `/crm/imports/${validated.body.id}/commit`, { rows: 'valid' });
  assert.equal(commit.status, 202, JSON.stringify(commit.body));
  for (let i = 0; i < 2400; i++) {
    const state = (await server.api('GET', `/crm/imports/${validated.body.id}`)).body.state;
    if (state === 'committed') break;
    assert.notEqual(state, 'failed');
    await new Promise((r) => setTimeout(r, 25));
  }
  for (let cursor: string | null = ''; cursor !== null;) {
    const res = await server.api('GET', `/crm/deals?limit=200&sort=createdAt${cursor ? `&cursor=${cursor}` : ''}`);
    deals.push(...res.body.data);
    cursor = res.body.nextCursor;
  }
  deals = deals.filter((d) => d.title.startsWith('Deal '));
  assert.equal(deals.length, N);
}, 120_000);
afterAll(() => server?.stop());

describe('a filtered list pages through exactly its matches, in order, whatever share it matches', () => {
  const cases: [string, string, (d: Deal) => boolean][] = [
    ['most deals (amount ≥ 100 in USD)', 'status=open&currency=USD&amount[gte]=100', (d) => d.currency === 'USD' && d.amount >= 100],
    ['the newest few', 'status=open&currency=USD&amount[gte]=1480', (d) => d.currency === 'USD' && d.amount >= 1480],
    ['the oldest few, past the rows read first', 'status=open&currency=USD&amount[lte]=40', (d) => d.currency === 'USD' && d.amount <= 40],
    ['a middle band', 'status=open&currency=EUR&amount[gte]=300&amount[lt]=1200', (d) => d.currency === 'EUR' && d.amount >= 300 && d.amount < 1200],
    ['none', 'status=open&currency=USD&amount[gt]=100000', () => false],
  ];
  for (const [name, query, match] of cases) {
    test(`${name}: newest first`, async () => {
      const expected = deals
        .filter(match)
        .sort(newestFirst)
        .map((d) => d.id);
      for (const limit of [25, 200]) {
        const { ids, total } = await pages(query, limit);
        assert.equal(total, expected.length, `${query} total`);
        assert.deepEqual(ids, expected, `${query} limit ${limit}`);
      }
    });
  }

  test('sorted by a field no deal has a value of (the empty part, by id), and by amount', async () => {
    const match = (d: Deal) => d.currency === 'USD' && d.amount <= 1200;
    const byIdDesc = deals
      .filter(match)
      .map((d) => d.id)
      .sort()
      .reverse();
    assert.deepEqual((await pages('status=open&currency=USD&amount[lte]=1200&sort=-lastActivityAt', 50)).ids, byIdDesc);
    const byAmount = deals
      .filter(match)
      .sort((a, b) => a.amount - b.amount)
      .map((d) => d.id);
    assert.deepEqual((await pages('status=open&currency=USD&amount[lte]=1200&sort=amount', 50)).ids, byAmount);
  });
});
