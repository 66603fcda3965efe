/**
 * Automations with a real server, real SQLite and a real HTTP receiver on loopback standing in for
 * a project tool: the deal-won bridge (create a project there, store its id on the deal, add a
 * kickoff follow-up for the deal's owner) from REST, MCP and a sync push alike, audited with
 * source `automation`; a daily "no activity for 14 days" schedule on an injected clock, claimed
 * once per day across a restart; recursion stopped 3 levels deep; a failing HTTP step retried;
 * bad definitions refused naming the value at fault; secrets never shown.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { afterAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestServer, tempDataDir, type TestServer } from '../helpers/server.js';
import { until as waitUntil } from '../helpers/wait.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A project tool on loopback: answers `answer()` (status and JSON). */
class ProjectTool {
  readonly got: Received[] = [];
  answer: (r: Received) => [number, unknown] = () => [201, { id: 'proj_42' }];
  private server: http.Server | null = null;
  port = 0;
  async up(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        this.got.push(r);
        const [status, json] = this.answer(r);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  async down(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const until = (what: string, pred: () => boolean | Promise<boolean>, ms = 15_000) => waitUntil(what, pred, ms);

const DAY = 86_400_000;

describe('automations', () => {
  /** The automation dispatcher's clock runs ahead of the wall clock by this much. */
  let ahead = 0;
  const clock = () => Date.now() + ahead;

  /** A server on the test's clock; loopback targets allowed unless `strict`. */
  async function start(options: { dataDir?: string; strict?: boolean } = {}): Promise<TestServer> {
    if (!options.strict) process.env.KITH_WEBHOOK_ALLOW_PRIVATE = '1';
    try {
      return await startTestServer({ dataDir: options.dataDir, automations: { now: clock, pollMs: 50, timeoutMs: 2000 }, webhooks: { pollMs: 50 } });
    } finally {
      delete process.env.KITH_WEBHOOK_ALLOW_PRIVATE;
    }
  }

  async function runsOf(server: TestServer, automationId: string): Promise<any[]> {
    const res = await server.api('GET', `/crm/automations/${automationId}/runs`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data;
  }

  /** Waits until the dispatcher has nothing due and every run of the automation is finished. */
  async function settled(server: TestServer, automationId: string, count: number): Promise<any[]> {
    let runs: any[] = [];
    await until(`${count} finished runs`, async () => {
      await server.services.automations.settle();
      runs = await runsOf(server, automationId);
      return runs.length >= count && runs.every((r) => r.state !== 'pending');
    });
    return runs;
  }

  test('the deal-won bridge: REST, MCP and a sync push each store the project id, add the owner a kickoff follow-up, audited as automation', async () => {
    const server = await start();
    cleanups.push(() => server.stop());
    const tool = new ProjectTool();
    await tool.up();
    cleanups.push(() => tool.down());

    // the deals' owner: a member (the follow-up is theirs; the automation acts as the owner who made it)
    const { accounts } = server.services;
    const ws = (await accounts.findWorkspace('default'))!;
    const seller = await accounts.createUser({ email: 'seller@automations.test', name: 'Seller' });
    await accounts.setMembership(ws.id, seller.id, 'MEMBER');

    const secret = await server.api('PUT', '/crm/automation-secrets/projects_token', { value: 'Bearer s3cret-token' });
    assert.equal(secret.status, 200, JSON.stringify(secret.body));
    assert.deepEqual(Object.keys(secret.body).sort(), ['createdAt', 'name', 'updatedAt']);

    const created = await server.api('POST', '/crm/automations', {
      name: 'Won → project',
      active: true,
      trigger: { event: 'deal.won' },
      conditions: [],
      steps: [
        {
          type: 'http_request',
          method: 'POST',
          url: `http://127.0.0.1:${tool.port}/api/projects`,
          headers: { Authorization: '{{secret.projects_token}}' },
          body: { name: '{{record.title}}', client: '{{record.organization.name}}', amount: '{{record.amount}}' },
          saveResponse: { path: 'id', field: 'linkedProjectId' },
        },
        { type: 'create_activity', activity: { type: 'follow_up', subject: 'Kickoff', dueInDays: 2 } },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const automation = created.body;

    const org = (await server.api('POST', '/crm/organizations', { name: 'Acme' })).body;
    const newDeal = async (title: string) => {
      const res = await server.api('POST', '/crm/deals', { title, organizationId: org.id, amount: 12000, ownerId: seller.id });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    };

    // 1. REST
    const restDeal = await newDeal('Website relaunch');
    // a refused change is rolled back with the runs it would have queued (the count of runs below)
    assert.equal((await server.api('PATCH', `/crm/deals/${restDeal.id}`, { status: 'won', amount: -5 })).status, 422);
    assert.equal((await server.api('PATCH', `/crm/deals/${restDeal.id}`, { status: 'won' })).status, 200);

    // 2. MCP, with the SDK client
    const mcpDeal = await newDeal('Agent deal');
    const client = new Client({ name: 'automation-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${server.key}` } } }));
    cleanups.push(() => client.close());
    const updated = (await client.callTool({ name: 'crm.deal.update', arguments: { id: mcpDeal.id, status: 'won' } })) as any;
    assert.notEqual(updated.isError, true, JSON.stringify(updated.content));

    // 3. a sync push from an offline client
    const syncDeal = await newDeal('Offline deal');
    const seen = { ...syncDeal, _deleted: false };
    const pushed = await server.api('POST', '/sync/deals/push', [{ assumedMasterState: seen, newDocumentState: { ...seen, status: 'won' } }]);
    assert.equal(pushed.status, 200);

    const runs = await settled(server, automation.id, 3);
    assert.equal(runs.length, 3);
    for (const run of runs) {
      assert.equal(run.state, 'succeeded', JSON.stringify(run));
      assert.equal(run.trigger, 'event');
      assert.equal(run.eventType, 'deal.won');
      assert.deepEqual(
        run.steps.map((s: any) => [s.type, s.status]),
        [
          ['http_request', 'ok'],
          ['create_activity', 'ok'],
        ],
      );
      assert.deepEqual(run.steps[0].result.saved, { field: 'linkedProjectId', value: 'proj_42' });
    }
    assert.deepEqual(runs.map((r: any) => r.recordId).sort(), [restDeal.id, mcpDeal.id, syncDeal.id].sort());

    // what the project tool got: the templated body with JSON values, the secret in the header
    assert.equal(tool.got.length, 3);
    const bodies = tool.got.map((r) => JSON.parse(r.body));
    assert.deepEqual(bodies.map((b) => b.name).sort(), ['Agent deal', 'Offline deal', 'Website relaunch']);
    for (const [i, r] of tool.got.entries()) {
      assert.equal(r.method, 'POST');
      assert.equal(r.url, '/api/projects');
      assert.equal(r.headers.authorization, 'Bearer s3cret-token');
      assert.deepEqual({ client: bodies[i].client, amount: bodies[i].amount }, { client: 'Acme', amount: 12000 });
    }

    for (const deal of [restDeal, mcpDeal, syncDeal]) {
      const stored = (await server.api('GET', `/crm/deals/${deal.id}`)).body;
      assert.equal(stored.status, 'won');
      assert.equal(stored.linkedProjectId, 'proj_42', deal.title);
      const activities = (await server.api('GET', `/crm/activities?dealId=${deal.id}`)).body.data;
      assert.equal(activities.length, 1, deal.title);
      const [followUp] = activities;
      assert.deepEqual([followUp.type, followUp.subject, followUp.actorId, followUp.completedAt], ['follow_up', 'Kickoff', seller.id, null]);
      const due = Date.parse(followUp.dueAt) - Date.parse(followUp.createdAt);
      assert.ok(Math.abs(due - 2 * DAY) < 60_000, `due in 2 days (${due} ms)`);

      // both writes are in the audit trail as the automation's, naming it and its run
      const dealAudit = (await server.api('GET', `/crm/audit?entityType=deal&entityId=${deal.id}`)).body.data;
      const saved = dealAudit.find((e: any) => e.changedFields.includes('linkedProjectId'));
      assert.equal(saved?.source, 'automation', JSON.stringify(dealAudit));
      assert.equal(saved.after.linkedProjectId, 'proj_42');
      assert.equal(saved.detail.automationId, automation.id);
      const activityAudit = (await server.api('GET', `/crm/audit?entityType=activity&entityId=${followUp.id}`)).body.data;
      assert.deepEqual(
        activityAudit.map((e: any) => [e.action, e.source]),
        [['create', 'automation']],
      );
    }

    // the secret's value is never answered: not by the list, the automation or its runs
    const listed = await server.api('GET', '/crm/automation-secrets');
    assert.deepEqual(
      listed.body.data.map((s: any) => Object.keys(s).sort()),
      [['createdAt', 'name', 'updatedAt']],
    );
    for (const path of ['/crm/automation-secrets', '/crm/automations', `/crm/automations/${automation.id}`, `/crm/automations/${automation.id}/runs`]) {
      assert.doesNotMatch(JSON.stringify((await server.api('GET', path)).body), /s3cret-token/, path);
    }
  });

  test('a daily schedule labels exactly the open deals with no activity for 14 days, once per day across a restart', async () => {
    ahead = 0;
    const dataDir = tempDataDir();
    let server = await start({ dataDir });
    cleanups.push(() => server.stop());
    const deal = async (title: string, status: string, activityDaysAgo: number | null) => {
      const d = (await server.api('POST', '/crm/deals', { title })).body;
      if (status !== 'open') await server.api('PATCH', `/crm/deals/${d.id}`, { status });
      if (activityDaysAgo !== null) {
        const a = await server.api('POST', '/crm/activities', { type: 'call', dealId: d.id, occurredAt: new Date(Date.now() - activityDaysAgo * DAY).toISOString() });
        assert.equal(a.status, 201, JSON.stringify(a.body));
      }
      return d;
    };
    const stale = await deal('Quiet for 20 days', 'open', 20);
    const staler = await deal('Quiet for 40 days', 'open', 40);
    const recent = await deal('Called 5 days ago', 'open', 5);
    const won = await deal('Won, quiet for 20 days', 'won', 20);
    const created = await server.api('POST', '/crm/automations', {
      name: 'Stale deals',
      trigger: { schedule: 'daily', at: '06:30', entity: 'deal' },
      conditions: [
        { field: 'status', value: 'open' },
        { field: 'lastActivityAt', op: 'lt', value: 'now-14d' },
      ],
      steps: [{ type: 'add_label', label: 'stale' }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;

    // move the clock to 06:45 UTC tomorrow: the schedule comes due once
    const now = Date.now();
    const tomorrow = new Date(now + DAY).toISOString().slice(0, 10);
    ahead = Date.parse(`${tomorrow}T06:45:00.000Z`) - now;
    const runs = await settled(server, id, 2);
    assert.deepEqual(runs.map((r: any) => [r.trigger, r.state]).sort(), [
      ['schedule', 'succeeded'],
      ['schedule', 'succeeded'],
    ]);
    assert.deepEqual(runs.map((r: any) => r.recordId).sort(), [stale.id, staler.id].sort());
    const labels = async (d: { id: string }) => (await server.api('GET', `/crm/deals/${d.id}`)).body.labels;
    assert.deepEqual(await labels(stale), ['stale']);
    assert.deepEqual(await labels(staler), ['stale']);
    assert.deepEqual(await labels(recent), []);
    assert.deepEqual(await labels(won), []);
    const audit = (await server.api('GET', `/crm/audit?entityType=deal&entityId=${stale.id}`)).body.data[0];
    assert.deepEqual([audit.source, audit.changedFields], ['automation', ['labels']]);

    // the same day again, and after a restart: no second run
    await server.services.automations.settle();
    await server.stop({ keepData: true });
    const { key } = server;
    const restarted = await start({ dataDir });
    server = { ...restarted, key, api: (method, path, body, options = {}) => restarted.api(method, path, body, { key, ...options }) };
    cleanups.push(() => server.stop());
    await server.services.automations.settle();
    assert.equal((await runsOf(server, id)).length, 2);

    // the next day it runs again over the deals that still match (their labels are already there)
    ahead += DAY;
    const next = await settled(server, id, 4);
    assert.equal(next.length, 4);
    assert.deepEqual(
      next.slice(0, 2).map((r: any) => r.steps[0].result),
      [
        { label: 'stale', changed: false },
        { label: 'stale', changed: false },
      ],
    );
    ahead = 0;
  });

  test('an automation that triggers itself stops 3 levels deep and says so in its run', async () => {
    const server = await start();
    cleanups.push(() => server.stop());
    const created = await server.api('POST', '/crm/automations', {
      name: 'Echo',
      trigger: { event: 'deal.updated' },
      conditions: [{ changed: ['notes'] }],
      steps: [{ type: 'set_field', field: 'notes', value: '{{record.notes}}+' }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deal = (await server.api('POST', '/crm/deals', { title: 'Loop' })).body;
    await server.api('PATCH', `/crm/deals/${deal.id}`, { title: 'Loop, renamed' }); // notes unchanged: no run
    await server.api('PATCH', `/crm/deals/${deal.id}`, { notes: 'x' });
    const runs = await settled(server, created.body.id, 3);
    assert.deepEqual(
      runs.map((r: any) => [r.depth, r.state]),
      [
        [3, 'succeeded'],
        [2, 'succeeded'],
        [1, 'succeeded'],
      ],
    );
    assert.match(runs[0].note, /3 levels deep/);
    assert.match(runs[0].steps[0].notes[0], /would run automation 'Echo' 4 levels deep/);
    assert.equal(runs[1].note, null);
    assert.equal((await server.api('GET', `/crm/deals/${deal.id}`)).body.notes, 'x+++');
  });

  test('a failing http_request is retried like a webhook; each attempt is in the run', async () => {
    ahead = 0;
    const server = await start();
    cleanups.push(() => server.stop());
    const tool = new ProjectTool();
    await tool.up();
    cleanups.push(() => tool.down());
    tool.answer = () => [503, { error: 'maintenance' }];
    const created = await server.api('POST', '/crm/automations', {
      name: 'Tell the tool about new people',
      trigger: { event: 'person.created' },
      conditions: [{ field: 'email', op: 'empty', value: false }],
      steps: [
        { type: 'http_request', url: `http://127.0.0.1:${tool.port}/people`, body: { email: '{{record.email}}', name: '{{record.name}}' }, saveResponse: { path: 'id', field: 'title' } },
        { type: 'add_label', label: 'synced' },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    await server.api('POST', '/crm/people', { name: 'No email' }); // does not meet the conditions
    const person = (await server.api('POST', '/crm/people', { name: 'Ada', email: 'ada@example.com' })).body;

    await until('the first attempt recorded', async () => {
      await server.services.automations.settle();
      const [run] = await runsOf(server, id);
      return run?.steps[0]?.status === 'retrying';
    });
    const [waiting] = await runsOf(server, id);
    assert.equal(waiting.state, 'pending');
    assert.equal(waiting.recordId, person.id);
    assert.equal(waiting.attempts, 1);
    assert.match(waiting.steps[0].error, /HTTP 503/);
    assert.ok(Date.parse(waiting.nextAttemptAt) > clock(), 'a next try is scheduled');
    assert.deepEqual((await server.api('GET', `/crm/people/${person.id}`)).body.labels, [], 'later steps wait for it');

    // the tool is back; an hour later the step is tried again and the run goes on
    tool.answer = () => [200, { id: 'CRM-7' }];
    ahead = 3_600_000;
    const [run] = await settled(server, id, 1);
    assert.equal(run.state, 'succeeded', JSON.stringify(run));
    assert.deepEqual(
      run.steps.map((s: any) => [s.type, s.status, s.result?.attempts ?? null]),
      [
        ['http_request', 'ok', 2],
        ['add_label', 'ok', null],
      ],
    );
    assert.equal(tool.got.length, 2);
    assert.deepEqual(JSON.parse(tool.got[1].body), { email: 'ada@example.com', name: 'Ada' });
    const stored = (await server.api('GET', `/crm/people/${person.id}`)).body;
    assert.deepEqual([stored.title, stored.labels], ['CRM-7', ['synced']]);

    // a manual run on a record, and one on a record that does not meet the conditions
    const other = (await server.api('POST', '/crm/people', { name: 'Bob' })).body;
    const manual = await server.api('POST', `/crm/automations/${id}/run`, { recordId: other.id });
    assert.equal(manual.status, 202, JSON.stringify(manual.body));
    assert.deepEqual([manual.body.trigger, manual.body.state], ['manual', 'skipped']);
    assert.match(manual.body.note, /does not meet the conditions/);
    const again = await server.api('POST', `/crm/automations/${id}/run`, { recordId: person.id });
    assert.deepEqual([again.body.trigger, again.body.state], ['manual', 'pending']);
    await settled(server, id, 3);

    // a tool that stays down: after 24 h of retries the run fails, saying why; later steps never ran
    tool.answer = () => [500, { error: 'down' }];
    const eve = (await server.api('POST', '/crm/people', { name: 'Eve', email: 'eve@example.com' })).body;
    await until('the first failed attempt', async () => {
      await server.services.automations.settle();
      return (await runsOf(server, id))[0].steps[0]?.status === 'retrying';
    });
    ahead += 25 * 3_600_000;
    const [failed] = await settled(server, id, 4);
    assert.deepEqual([failed.recordId, failed.state, failed.steps.length], [eve.id, 'failed', 1]);
    assert.match(failed.error, /failed for 24 h: HTTP 500/);
    assert.equal(failed.steps[0].attempts, 2);
    assert.deepEqual((await server.api('GET', `/crm/people/${eve.id}`)).body.labels, []);
    ahead = 0;
  });

  test('the other steps: set a custom field, move the stage by name, remove a label, create a record, send a signed webhook', async () => {
    const server = await start();
    cleanups.push(() => server.stop());
    const receiver = new ProjectTool();
    await receiver.up();
    cleanups.push(() => receiver.down());
    receiver.answer = () => [204, null];
    const hook = (await server.api('POST', '/crm/webhooks', { url: `http://127.0.0.1:${receiver.port}/kith`, events: ['deal.lost'] })).body;
    assert.equal((await server.api('POST', '/crm/fields', { entity: 'deals', key: 'tier', label: 'Tier', type: 'select', options: [{ value: 'gold' }, { value: 'silver' }] })).status, 201);
    const pipeline = (await server.api('POST', '/crm/pipelines', { name: 'Sales', stages: [{ name: 'Lead' }, { name: 'Negotiation' }] })).body;
    const created = await server.api('POST', '/crm/automations', {
      name: 'Gold deals',
      trigger: { event: 'deal.updated' },
      conditions: [{ field: 'custom.tier', value: 'gold' }, { changed: ['custom.tier'] }],
      steps: [
        { type: 'move_stage', stage: 'negotiation' },
        { type: 'remove_label', label: 'cold' },
        { type: 'set_field', field: 'custom.tier', value: 'silver' },
        { type: 'create_record', entity: 'person', values: { name: 'Contact for {{record.title}}', notes: 'from {{event.type}}, tier was {{previous.custom.tier}}.' } },
        { type: 'send_webhook', endpointId: hook.id, body: { deal: '{{record.id}}', stage: '{{record.stage.name}}' } },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deal = (await server.api('POST', '/crm/deals', { title: 'Gold rush', pipelineId: pipeline.id, labels: ['cold', 'eu'] })).body;
    assert.equal((await server.api('PATCH', `/crm/deals/${deal.id}`, { custom: { tier: 'gold' } })).status, 200);
    const [run] = await settled(server, created.body.id, 1);
    assert.equal(run.state, 'succeeded', JSON.stringify(run));
    const stored = (await server.api('GET', `/crm/deals/${deal.id}`)).body;
    const stages = (await server.api('GET', `/crm/pipelines/${pipeline.id}/stages`)).body.data;
    assert.equal(stored.stageId, stages.find((x: any) => x.name === 'Negotiation').id);
    assert.deepEqual(stored.labels, ['eu']);
    assert.deepEqual(stored.custom, { tier: 'silver' });
    const person = (await server.api('GET', `/crm/people/${run.steps[3].result.id}`)).body;
    assert.deepEqual([person.name, person.notes], ['Contact for Gold rush', 'from deal.updated, tier was .']);
    await until('the webhook step delivered', () => receiver.got.length === 1);
    const event = JSON.parse(receiver.got[0].body);
    assert.deepEqual([event.type, event.automationId, event.data], ['automation', created.body.id, { deal: deal.id, stage: 'Negotiation' }]);
    assert.ok(receiver.got[0].headers['kith-signature'], 'signed like every delivery');
    // the stage move is a stage change like any other; its audit entry names the automation
    const moves = (await server.api('GET', `/crm/deals/${deal.id}/stage-changes`)).body.data;
    assert.equal(moves.length, 2);
    const audit = (await server.api('GET', `/crm/audit?entityType=deal&entityId=${deal.id}`)).body.data;
    assert.deepEqual(
      audit
        .filter((e: any) => e.source === 'automation')
        .map((e: any) => e.changedFields.join(','))
        .reverse(),
      ['stageId', 'labels', 'custom'],
    );
  });

  test('an agent manages automations over MCP (owners only): create, list with runs, run on a record, update, delete', async () => {
    const server = await start();
    cleanups.push(() => server.stop());
    const connect = async (key: string) => {
      const client = new Client({ name: 'automation-agent', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      cleanups.push(() => client.close());
      return client;
    };
    const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as any;
    const owner = await connect(server.key);

    const bad = await call(owner, 'crm.automation.create', { name: 'Bad', trigger: { event: 'deal.won' }, steps: [{ type: 'teleport' }] });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /steps\.0\.type/);
    const created = await call(owner, 'crm.automation.create', {
      name: 'Tag big deals',
      trigger: { event: 'deal.created' },
      conditions: [{ field: 'amount', op: 'gte', value: 10000 }],
      steps: [{ type: 'add_label', label: 'big' }],
    });
    assert.notEqual(created.isError, true, created.content[0].text);
    const id = created.structuredContent.id;
    const deal = (await call(owner, 'crm.deal.create', { title: 'Small one', amount: 50 })).structuredContent;
    const big = (await call(owner, 'crm.deal.create', { title: 'Big one', amount: 25000 })).structuredContent;
    await settled(server, id, 1);
    assert.deepEqual((await server.api('GET', `/crm/deals/${big.id}`)).body.labels, ['big']);
    assert.deepEqual((await server.api('GET', `/crm/deals/${deal.id}`)).body.labels, []);

    const manual = await call(owner, 'crm.automation.run', { id, recordId: deal.id });
    assert.equal(manual.structuredContent.state, 'skipped');
    const listed = await call(owner, 'crm.automation.list', { id });
    assert.deepEqual(
      listed.structuredContent.runs.map((r: any) => [r.trigger, r.state, r.recordId]),
      [
        ['manual', 'skipped', deal.id],
        ['event', 'succeeded', big.id],
      ],
    );
    assert.equal((await call(owner, 'crm.automation.update', { id, active: false })).structuredContent.active, false);
    assert.deepEqual(
      (await call(owner, 'crm.automation.list')).structuredContent.data.map((a: any) => [a.id, a.active]),
      [[id, false]],
    );
    assert.deepEqual((await call(owner, 'crm.automation.delete', { id })).structuredContent, { deleted: id });

    const { accounts } = server.services;
    const ws = (await accounts.findWorkspace('default'))!;
    const user = await accounts.createUser({ email: 'member@mcp-automations.test', name: 'Member' });
    await accounts.setMembership(ws.id, user.id, 'MEMBER');
    const member = await connect((await accounts.createApiKey({ userId: user.id })).key);
    const names = (await member.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('crm.deal.create') && !names.some((n) => n.startsWith('crm.automation.')));
  });

  test('bad definitions are refused naming the value at fault; private URLs unless allowed; members cannot manage automations', async () => {
    const server = await start({ strict: true });
    cleanups.push(() => server.stop());
    const base = { name: 'Bad', trigger: { event: 'deal.won' }, conditions: [], steps: [{ type: 'add_label', label: 'x' }] };
    const refused = async (patch: Record<string, unknown>, path: string, message: RegExp) => {
      const res = await server.api('POST', '/crm/automations', { ...base, ...patch });
      assert.equal(res.status, 422, `${path}: ${JSON.stringify(res.body)}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      const error = res.body.errors.find((e: any) => e.path === path);
      assert.ok(error, `${path} in ${JSON.stringify(res.body.errors)}`);
      assert.match(error.message, message);
    };
    await refused({ conditions: [{ field: 'colour', value: 'red' }] }, 'conditions.0.field', /unknown field 'colour' of deal/);
    await refused(
      {
        conditions: [
          { field: 'status', value: 'open' },
          { field: 'amount', op: 'between', value: 1 },
        ],
      },
      'conditions.1.op',
      /unknown operator 'between'/,
    );
    await refused({ conditions: [{ field: 'title', op: 'gt', value: 'M' }] }, 'conditions.0.op', /takes eq, ne, contains, empty/);
    await refused({ conditions: [{ field: 'status', value: 'pending' }] }, 'conditions.0.value', /"open", "won", "lost"/);
    await refused({ conditions: [{ field: 'lastActivityAt', op: 'lt', value: 'last week' }] }, 'conditions.0.value', /now-14d/);
    await refused(
      {
        steps: [
          { type: 'add_label', label: 'ok' },
          { type: 'send_email', to: 'x' },
        ],
      },
      'steps.1.type',
      /unknown step type "send_email"/,
    );
    await refused(
      { steps: [{ type: 'http_request', url: 'https://projects.example/api', body: { client: '{{record.organization.nme}}' } }] },
      'steps.0.body.client',
      /no field 'organization.nme' on record/,
    );
    await refused({ steps: [{ type: 'set_field', field: 'notes', value: '{{record.colour}}' }] }, 'steps.0.value', /no field 'colour'/);
    await refused(
      {
        steps: [
          { type: 'add_label', label: 'ok' },
          { type: 'http_request', url: 'http://127.0.0.1:9/hook' },
        ],
      },
      'steps.1.url',
      /127\.0\.0\.1 is not a public address.*KITH_WEBHOOK_ALLOW_PRIVATE/,
    );
    await refused({ steps: [{ type: 'http_request', url: 'http://169.254.169.254/latest' }] }, 'steps.0.url', /not a public address/);
    await refused({ steps: [{ type: 'set_field', field: 'wonAt', value: null }] }, 'steps.0.field', /not a field a step can set/);
    await refused({ steps: [{ type: 'set_field', field: 'status', value: 'paused' }] }, 'steps.0.value', /open|won|lost/);
    await refused({ steps: [{ type: 'http_request', url: 'https://projects.example/api', headers: { Host: 'internal' } }] }, 'steps.0.headers.Host', /set by Kith/);
    await refused({ steps: [{ type: 'add_label', label: 'x', colour: 'red' }] }, 'steps.0.colour', /unknown field/);
    await refused({ steps: [{ type: 'add_label', label: '{{response.id}}' }] }, 'steps.0.label', /no field 'id' on response/);
    await refused({ trigger: { event: 'deal.exploded' } }, 'trigger.event', /unknown event type/);
    await refused({ trigger: { schedule: 'daily', at: '25:00', entity: 'deal' } }, 'trigger.at', /HH:MM/);
    await refused({ trigger: { schedule: 'daily', at: '08:00', entity: 'deal' }, conditions: [{ changed: ['stageId'] }] }, 'conditions.0.changed', /record events only/);
    await refused({ trigger: { event: 'person.created' }, steps: [{ type: 'move_stage', stage: 'Won' }] }, 'steps.0.type', /only deals have stages/);
    await refused({ colour: 'red' }, 'colour', /unknown field/);
    assert.deepEqual((await server.api('GET', '/crm/automations')).body.data, [], 'nothing was saved');

    // a public URL is fine; a PATCH is checked as a whole
    const ok = await server.api('POST', '/crm/automations', { ...base, steps: [{ type: 'http_request', url: 'https://projects.example/api/{{record.id}}' }] });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const patched = await server.api('PATCH', `/crm/automations/${ok.body.id}`, { trigger: { event: 'person.created' }, conditions: [{ field: 'stageId', op: 'empty', value: true }] });
    assert.equal(patched.status, 422);
    assert.equal(patched.body.errors[0].path, 'conditions.0.field');
    assert.equal((await server.api('PATCH', `/crm/automations/${ok.body.id}`, { active: false })).body.active, false);
    assert.equal((await server.api('PUT', '/crm/automation-secrets/Bad-Name', { value: 'x' })).status, 422);

    const { accounts } = server.services;
    const ws = (await accounts.findWorkspace('default'))!;
    const user = await accounts.createUser({ email: 'member@automations.test', name: 'Member' });
    await accounts.setMembership(ws.id, user.id, 'MEMBER');
    const member = (await accounts.createApiKey({ userId: user.id })).key;
    assert.equal((await server.api('POST', '/crm/automations', base, { key: member })).status, 403);
    assert.equal((await server.api('GET', '/crm/automations', undefined, { key: member })).status, 403);
    assert.equal((await server.api('PUT', '/crm/automation-secrets/token', { value: 'x' }, { key: member })).status, 403);
    assert.equal((await server.api('DELETE', `/crm/automations/${ok.body.id}`)).status, 204);
    assert.equal((await server.api('GET', `/crm/automations/${ok.body.id}`)).status, 404);
  });
});
