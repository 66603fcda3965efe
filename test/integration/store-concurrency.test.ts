/**
 * Concurrent writers on one store (SPEC §7), over real HTTP, on SQLite and (integration-pg) on
 * PostgreSQL, where the store serializes write transactions by locking the change-sequence row as
 * their first statement:
 * - read-modify-write transactions on one record lose nothing: concurrent stage moves of one deal
 *   leave an unbroken stage history (each change starts where the previous one ended), and the
 *   audit trail's before/after snapshots chain the same way;
 * - a puller advancing by checkpoint while several writers create records misses none of them.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const WRITERS = 6;

describe('concurrent writers', () => {
  test('concurrent stage moves of one deal: every move is in the history, each starting where the previous ended', async () => {
    const pipelineId = (await server.api('GET', '/crm/pipelines')).body.data[0].id;
    const stages: string[] = (await server.api('GET', `/crm/pipelines/${pipelineId}/stages`)).body.data.map((s: { id: string }) => s.id);
    const deal = (await server.api('POST', '/crm/deals', { title: 'Contended', pipelineId, stageId: stages[0] })).body;
    const MOVES = 10;
    let moved = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; i < MOVES; i++) {
          // each writer cycles through the stages from its own offset, so most moves change the stage
          const res = await server.api('PATCH', `/crm/deals/${deal.id}`, { stageId: stages[(w + i + 1) % stages.length] });
          assert.equal(res.status, 200, JSON.stringify(res.body));
          moved++;
        }
      }),
    );
    assert.equal(moved, WRITERS * MOVES);

    const history: { fromStageId: string | null; toStageId: string }[] = (await server.api('GET', `/crm/deals/${deal.id}/stage-changes`)).body.data;
    assert.ok(history.length > WRITERS, `expected many stage changes, got ${history.length}`);
    assert.equal(history[0].fromStageId, null, 'the first change is the creation');
    for (let i = 1; i < history.length; i++) {
      assert.equal(history[i].fromStageId, history[i - 1].toStageId, `stage change ${i} starts where change ${i - 1} ended`);
    }
    const final = (await server.api('GET', `/crm/deals/${deal.id}`)).body;
    assert.equal(final.stageId, history[history.length - 1].toStageId);

    // the audit trail: every update's `before` is the previous update's `after`
    const audit: { action: string; before: { stageId: string; version: number } | null; after: { stageId: string; version: number } }[] = [];
    let cursor: string | null = null;
    do {
      const page = await server.api('GET', `/crm/audit?entityId=${deal.id}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      audit.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    const chain = audit.reverse();
    assert.equal(chain[0].action, 'create');
    for (let i = 1; i < chain.length; i++) {
      assert.equal(chain[i].before?.version, chain[i - 1].after.version, `audit entry ${i} was read after entry ${i - 1} committed`);
      assert.equal(chain[i].before?.stageId, chain[i - 1].after.stageId);
    }
  });

  test('a puller advancing by checkpoint while writers create records receives every record', async () => {
    const PER_WRITER = 25;
    const created = new Set<string>();
    const pulled = new Set<string>();
    let writing = true;
    let checkpoint = 0;
    const pullOnce = async () => {
      const res = await server.api('GET', `/sync/organizations/pull?checkpoint=${checkpoint}&limit=25`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (const doc of res.body.documents as { id: string }[]) pulled.add(doc.id);
      checkpoint = res.body.checkpoint.sequence;
      return res.body.documents.length as number;
    };
    const puller = (async () => {
      while (writing) await pullOnce();
    })();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; i < PER_WRITER; i++) {
          const res = await server.api('POST', '/crm/organizations', { name: `Writer ${w} org ${i}` });
          assert.equal(res.status, 201, JSON.stringify(res.body));
          created.add(res.body.id);
        }
      }),
    );
    writing = false;
    await puller;
    while ((await pullOnce()) > 0);
    assert.equal(created.size, WRITERS * PER_WRITER);
    const missed = [...created].filter((id) => !pulled.has(id));
    assert.deepEqual(missed, [], `the puller skipped ${missed.length} of ${created.size} records`);
  });
});
