/**
 * Webhooks with a real server, real SQLite and a real HTTP receiver on loopback: the outbox is
 * written with the change, a receiver that is down gets every event once it is back — in order,
 * signed, with the same event ids on retries — a restart in between loses nothing, and a delivery
 * failing for 24 h marks the endpoint failing until a retry succeeds. The dispatcher's clock is
 * injected (moved ahead of the wall clock), so "24 h later" takes no time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Ctx } from '../../server/domain/context.js';
import { WebhookService } from '../../server/domain/webhooks/service.js';
import { verifySignature } from '../../server/domain/webhooks/signature.js';
import { startTestServer, tempDataDir, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver on a fixed port that can be taken down and brought back, answering `status()`. */
class Receiver {
  readonly got: Received[] = [];
  status: (r: Received) => number = () => 200;
  /** How long it takes to answer. */
  delayMs = 0;
  private server: http.Server | null = null;
  constructor(readonly port: number) {}
  static async freePort(): Promise<number> {
    const s = http.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => s.once('listening', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    return port;
  }
  async up(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const r = { headers: req.headers, body };
        this.got.push(r);
        setTimeout(() => res.writeHead(this.status(r)).end('{"ok":true}'), this.delayMs);
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  async down(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server!.close(r));
    this.server = null;
  }
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('webhooks', () => {
  /** The dispatcher's clock runs ahead of the wall clock by this much ("24 h later" at once). */
  let ahead = 0;
  const HOUR = 3_600_000;

  /** A server whose webhook dispatcher runs on the test's clock; loopback receivers allowed. */
  async function start(dataDir?: string): Promise<TestServer> {
    process.env.KITH_WEBHOOK_ALLOW_PRIVATE = '1';
    try {
      return await startTestServer({ dataDir, webhooks: { now: () => Date.now() + ahead, pollMs: 50, timeoutMs: 2000 } });
    } finally {
      delete process.env.KITH_WEBHOOK_ALLOW_PRIVATE;
    }
  }

  test('a receiver that is down gets every event once it is back — after a server restart — in order, signed, same ids on retries', async () => {
    const dataDir = tempDataDir();
    let server = await start(dataDir);
    cleanups.push(() => server.stop());
    let service = server.services.webhooks;
    const ctx: Ctx = await server.services.accounts.ownerContext('default', 'rest');
    const receiver = new Receiver(await Receiver.freePort());
    cleanups.push(() => receiver.down());

    const created = await server.api('POST', '/crm/webhooks', { url: `http://127.0.0.1:${receiver.port}/hooks`, events: ['organization.*', 'deal.created', 'deal.stage_changed', 'deal.won'] });
    assert.equal(created.status, 201);
    const endpoint = created.body;
    assert.match(endpoint.secret, /^whsec_/);
    const listed = (await server.api('GET', '/crm/webhooks')).body.data;
    assert.deepEqual(
      listed.map((e: any) => [e.id, 'secret' in e]),
      [[endpoint.id, false]],
      'the secret is shown once',
    );

    // changes while the receiver is down
    const org = (await server.api('POST', '/crm/organizations', { name: 'Acme' })).body;
    await server.api('PATCH', `/crm/organizations/${org.id}`, { name: 'Acme Inc' });
    const pipeline = (await server.api('GET', '/crm/pipelines')).body.data[0];
    const stages = (await server.api('GET', `/crm/pipelines/${pipeline.id}/stages`)).body.data;
    const deal = (await server.api('POST', '/crm/deals', { title: 'Big one', organizationId: org.id, pipelineId: pipeline.id })).body;
    await server.api('PATCH', `/crm/deals/${deal.id}`, { stageId: stages[1].id });
    await server.api('PATCH', `/crm/deals/${deal.id}`, { status: 'won' });
    await server.api('POST', '/crm/people', { name: 'Not subscribed' });
    const expected = ['organization.created', 'organization.updated', 'deal.created', 'deal.stage_changed', 'deal.won'];

    await until('a failed attempt of the first delivery', async () => (await service.deliveries(ctx, endpoint.id, {})).data.some((d) => d.attempts > 0));
    const log = (await service.deliveries(ctx, endpoint.id, {})).data;
    assert.deepEqual(log.map((d) => d.eventType).reverse(), expected, 'one delivery per subscribed event, newest first in the log');
    const first = log.at(-1)!;
    assert.equal(first.state, 'pending');
    assert.match(first.lastError ?? '', /ECONNREFUSED/);
    assert.equal(first.lastStatus, null);
    assert.ok(first.nextAttemptAt && Date.parse(first.nextAttemptAt) > Date.now(), 'a next try is scheduled');
    assert.ok(
      log.slice(0, -1).every((d) => d.attempts === 0),
      'later deliveries wait for the first: in order',
    );

    // the server restarts (the outbox is the queue), the receiver comes back answering 500 once
    const ownerKey = server.key; // a restarted server prints no key: it is the same owner's
    await server.stop({ keepData: true });
    server = await start(dataDir);
    service = server.services.webhooks;
    let failedOnce = false;
    receiver.status = () => (failedOnce ? 200 : ((failedOnce = true), 500));
    await receiver.up();
    await until('every event delivered', async () => {
      ahead += 3 * HOUR; // every retry due at once
      service.wake();
      return (await service.deliveries(ctx, endpoint.id, { state: 'delivered' })).data.length === expected.length;
    });

    const got = receiver.got.map((r) => ({ type: r.headers['kith-event'], id: r.headers['kith-event-id'], body: JSON.parse(r.body) }));
    assert.deepEqual(
      got.map((g) => g.type),
      [expected[0], ...expected],
      'the first event twice (500, then 200), then the rest in order',
    );
    assert.equal(got[0].id, got[1].id, 'a retry carries the same event id');
    assert.equal(new Set(got.map((g) => g.id)).size, expected.length);
    for (const r of receiver.got) assert.ok(verifySignature(endpoint.secret, r.headers['kith-signature'] as string, r.body), 'signed with the endpoint secret');
    const won = got.at(-1)!.body;
    assert.equal(won.type, 'deal.won');
    assert.equal(won.workspaceId, ctx.workspaceId);
    assert.equal(won.data.record.id, deal.id);
    assert.equal(won.data.record.status, 'won');
    assert.equal(won.data.previous.status, 'open');
    assert.ok(won.data.changedFields.includes('status'));
    assert.equal(got[1].body.data.record.name, 'Acme', 'the payload is the state at the change, not now');

    // a tampered body fails verification
    const tampered = receiver.got[1].body.replace('Acme', 'Evil');
    assert.equal(verifySignature(endpoint.secret, receiver.got[1].headers['kith-signature'] as string, tampered), false);

    const delivered = (await server.api('GET', `/crm/webhooks/${endpoint.id}/deliveries`, undefined, { key: ownerKey })).body.data.at(-1);
    assert.equal(delivered.attempts, 3, 'refused while down, 500, then delivered');
    assert.equal(delivered.lastStatus, 200);
  });

  test('failing for 24 h marks the endpoint failing; a manual retry that succeeds clears it; a test event reaches only that endpoint', async () => {
    const server = await start();
    cleanups.push(() => server.stop());
    const service = server.services.webhooks;
    const ctx: Ctx = await server.services.accounts.ownerContext('default', 'rest');
    const receiver = new Receiver(await Receiver.freePort());
    cleanups.push(() => receiver.down());
    receiver.status = () => 503;
    await receiver.up();
    const endpoint = await service.create(ctx, { url: `http://127.0.0.1:${receiver.port}/h`, events: ['person.created'] });
    await server.api('POST', '/crm/people', { name: 'Ana' });
    for (let i = 0; i < 200 && (await service.deliveries(ctx, endpoint.id, {})).data[0]?.state !== 'failed'; i++) {
      ahead += 3 * HOUR; // past the longest delay (2 h)
      service.wake();
      // the attempt answered and recorded (its next try scheduled) before the clock moves again
      await until(`attempt ${i + 1}`, async () => receiver.got.length > i && (await service.deliveries(ctx, endpoint.id, {})).data[0].attempts > i);
    }
    const [failed] = (await service.deliveries(ctx, endpoint.id, {})).data;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.lastStatus, 503);
    assert.equal(failed.attempts, receiver.got.length);
    assert.ok(Date.parse(failed.lastAttemptAt!) - Date.parse(failed.firstAttemptAt!) >= 24 * HOUR, 'given up only after 24 h of retries');
    assert.ok((await service.get(ctx, endpoint.id)).failingSince, 'the endpoint is marked failing');

    receiver.status = () => 204;
    assert.equal((await server.api('POST', `/crm/webhooks/${endpoint.id}/deliveries/${failed.id}/retry`)).status, 200);
    await until('the retry delivered', async () => (await service.deliveries(ctx, endpoint.id, {})).data[0].state === 'delivered');
    assert.equal((await service.get(ctx, endpoint.id)).failingSince, null);

    const other = await service.create(ctx, { url: `http://127.0.0.1:${receiver.port}/other`, events: ['deal.won'] });
    const count = receiver.got.length;
    assert.equal((await server.api('POST', `/crm/webhooks/${other.id}/test`)).status, 202);
    await until('the test event', () => receiver.got.length === count + 1);
    assert.equal(receiver.got.at(-1)!.headers['kith-event'], 'webhook.test');
    assert.ok(verifySignature(other.secret, receiver.got.at(-1)!.headers['kith-signature'] as string, receiver.got.at(-1)!.body));
  });

  test('bad input names the field; private targets are refused unless allowed; members cannot manage webhooks', async () => {
    const server = await startTestServer();
    cleanups.push(() => server.stop());
    const ctx: Ctx = await server.services.accounts.ownerContext('default', 'rest');
    const strict = new WebhookService(server.services.store.db, { allowPrivate: false });
    const refused = async (input: unknown, path: string, message: RegExp) => {
      await assert.rejects(strict.create(ctx, input), (e: any) => e.code === 'invalid' && e.errors.some((x: any) => x.path === path && message.test(x.message)));
    };
    await refused({ url: 'http://127.0.0.1:9/h', events: ['*'] }, 'url', /not a public address.*KITH_WEBHOOK_ALLOW_PRIVATE=1/);
    await refused({ url: 'ftp://example.com/h', events: ['*'] }, 'url', /http or https/);
    await refused({ url: 'https://example.com/h', events: ['deal.exploded'] }, 'events.0', /unknown event type 'deal.exploded'/);
    await refused({ url: 'https://example.com/h', events: [] }, 'events', /at least one/);
    await refused({ url: 'https://example.com/h', events: ['*'], colour: 'red' }, 'colour', /unknown/);
    assert.equal((await strict.list(ctx)).data.length, 0, 'nothing stored');
    await assert.rejects(strict.list({ ...ctx, role: 'MEMBER' }), (e: any) => e.code === 'role_forbidden');
  });

  test('an agent manages webhooks over MCP (owners only); a deal won through MCP reaches the receiver', async () => {
    const server = await start();
    cleanups.push(() => server.stop());
    const receiver = new Receiver(await Receiver.freePort());
    cleanups.push(() => receiver.down());
    await receiver.up();
    const connect = async (key: string) => {
      const client = new Client({ name: 'webhook-agent', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      cleanups.push(() => client.close());
      return client;
    };
    const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as any;
    const owner = await connect(server.key);

    const created = await call(owner, 'crm.webhook.create', { url: `http://127.0.0.1:${receiver.port}/won`, events: ['deal.won'] });
    assert.notEqual(created.isError, true, created.content[0].text);
    assert.match(created.structuredContent.secret, /^whsec_/);
    const id = created.structuredContent.id;
    const bad = await call(owner, 'crm.webhook.create', { url: 'ftp://x.example/', events: ['deal.won'] });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /url.*http or https/);
    assert.deepEqual(
      (await call(owner, 'crm.webhook.list')).structuredContent.data.map((e: any) => [e.id, e.events, 'secret' in e]),
      [[id, ['deal.won'], false]],
    );

    const deal = (await call(owner, 'crm.deal.create', { title: 'Agent deal' })).structuredContent;
    assert.notEqual((await call(owner, 'crm.deal.update', { id: deal.id, status: 'won' })).isError, true);
    await until('deal.won delivered', () => receiver.got.length === 1);
    assert.equal(receiver.got[0].headers['kith-event'], 'deal.won');
    assert.ok(verifySignature(created.structuredContent.secret, receiver.got[0].headers['kith-signature'] as string, receiver.got[0].body));

    assert.equal((await call(owner, 'crm.webhook.update', { id, active: false })).structuredContent.active, false);
    assert.deepEqual((await call(owner, 'crm.webhook.delete', { id })).structuredContent, { deleted: id });
    assert.deepEqual((await call(owner, 'crm.webhook.list')).structuredContent.data, []);

    // members do not see the webhook tools
    const { accounts } = server.services;
    const ws = (await accounts.findWorkspace('default'))!;
    const user = await accounts.createUser({ email: 'member@webhooks.test', name: 'Member' });
    await accounts.setMembership(ws.id, user.id, 'MEMBER');
    const member = await connect((await accounts.createApiKey({ userId: user.id })).key);
    const names = (await member.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('crm.deal.create') && !names.some((n) => n.startsWith('crm.webhook.')));
  });

  test('a deal won through a sync push (an offline client) raises deal.won like REST and MCP', async () => {
    const server = await start();
    cleanups.push(() => server.stop());
    const receiver = new Receiver(await Receiver.freePort());
    cleanups.push(() => receiver.down());
    await receiver.up();
    const hook = (await server.api('POST', '/crm/webhooks', { url: `http://127.0.0.1:${receiver.port}/sync`, events: ['deal.won'] })).body;
    const deal = (await server.api('POST', '/crm/deals', { title: 'Synced deal' })).body;
    const seen = { ...deal, _deleted: false };
    const pushed = await server.api('POST', '/sync/deals/push', [{ assumedMasterState: seen, newDocumentState: { ...seen, status: 'won' } }]);
    assert.equal(pushed.status, 200);
    await until('deal.won from the push', () => receiver.got.length === 1);
    const event = JSON.parse(receiver.got[0].body);
    assert.equal(event.type, 'deal.won');
    assert.equal(event.data.record.id, deal.id);
    assert.ok(event.data.record.wonAt, 'the server-set won timestamp is in the payload');
    assert.ok(verifySignature(hook.secret, receiver.got[0].headers['kith-signature'] as string, receiver.got[0].body));
  });

  test('kill -9 in the middle of a burst: after the restart every event arrives, in order, none lost', async () => {
    const main = path.resolve('dist/server/main.js');
    assert.ok(fs.existsSync(main), `${main} is missing: run npm run build:server first`);
    const dataDir = tempDataDir();
    const spawnServer = async () => {
      const child = spawn(process.execPath, [main], {
        env: { ...process.env, KITH_DATA_DIR: dataDir, KITH_PORT: '0', KITH_HOST: '127.0.0.1', KITH_WEBHOOK_ALLOW_PRIVATE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
      let out = '';
      child.stdout!.on('data', (c) => (out += c));
      child.stderr!.on('data', (c) => (out += c));
      await until('the server listening', () => /Kith listening on/.test(out) || child.exitCode !== null, 60_000);
      assert.match(out, /Kith listening on/, `the server did not start:\n${out}`);
      return { child, url: /Kith listening on (http:\/\/\S+)/.exec(out)![1], key: /\b(kith_[0-9A-Za-z]{32})\b/.exec(out)?.[1] };
    };
    const first = await spawnServer();
    const key = first.key!;
    const call = async (url: string, method: string, route: string, body?: unknown) => {
      const res = await fetch(url + route, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      assert.ok(res.status < 300, `${method} ${route}: ${res.status}`);
      return res.json();
    };
    const receiver = new Receiver(await Receiver.freePort());
    cleanups.push(() => receiver.down());
    receiver.delayMs = 40; // a slow receiver: the burst is still being delivered at the kill
    await receiver.up();
    await call(first.url, 'POST', '/crm/webhooks', { url: `http://127.0.0.1:${receiver.port}/burst`, events: ['organization.created'] });
    const N = 200;
    for (let i = 0; i < N; i++) await call(first.url, 'POST', '/crm/organizations', { name: `Burst ${String(i).padStart(3, '0')}` }); // one after another: a known order
    await until('some deliveries', () => receiver.got.length >= 20);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const before = receiver.got.length;
    receiver.delayMs = 0;

    await spawnServer(); // the same data directory: the outbox is the queue
    await until(`all ${N} events`, () => new Set(receiver.got.map((r) => r.headers['kith-event-id'])).size === N, 60_000);
    const names = receiver.got.map((r) => JSON.parse(r.body).data.record.name as string);
    const firstSeen = [...new Set(names)];
    assert.deepEqual(firstSeen, [...firstSeen].sort(), 'in order of the changes (acknowledged writes in creation order)');
    assert.ok(before < N, `the kill came mid-burst (${before} of ${N} had arrived)`);
    assert.ok(receiver.got.length - N <= 1, 'at most the one delivery in flight at the kill is repeated');
  });
});
