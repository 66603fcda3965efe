/**
 * The self-contained parts of webhook delivery (server/domain/webhooks/): signatures as a
 * receiver verifies them, which targets are refused, and the retry schedule.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { describe, test } from 'vitest';
import { FIRST_RETRY_MS, MAX_RETRY_MS, RETRY_WINDOW_MS, nextAttemptAt, retryDelay } from '../../server/domain/webhooks/backoff.js';
import { newWebhookSecret, signatureHeader, verifySignature } from '../../server/domain/webhooks/signature.js';
import { eventsOfChange } from '../../server/domain/webhooks/events.js';
import { eventTypesOf } from '../../shared/events.js';
import { send } from '../../server/domain/webhooks/send.js';
import { checkTargetUrl, isNonPublicAddress, resolveTarget } from '../../server/domain/webhooks/targets.js';
import { DomainError } from '../../server/domain/errors.js';

describe('webhook signatures', () => {
  const secret = newWebhookSecret();
  const body = JSON.stringify({ id: 'evt_1', type: 'deal.won', data: { record: { title: 'Ünïcode ✓' } } });
  const t = 1_780_000_000;

  test('a receiver recomputing HMAC-SHA256(secret, "<t>.<raw body>") by hand gets the header', () => {
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    const header = signatureHeader(secret, body, t);
    const byHand = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    assert.equal(header, `t=${t},v1=${byHand}`);
    assert.equal(verifySignature(secret, header, body, t + 10), true);
    assert.equal(verifySignature(secret, header, Buffer.from(body), t), true, 'raw bytes verify like the string');
  });

  test('a tampered body, another secret, an old timestamp or a malformed header fail', () => {
    const header = signatureHeader(secret, body, t);
    assert.equal(verifySignature(secret, header, body.replace('deal.won', 'deal.lost'), t), false);
    assert.equal(verifySignature(newWebhookSecret(), header, body, t), false);
    assert.equal(verifySignature(secret, header, body, t + 301), false, 'older than 5 minutes: a replay');
    assert.equal(verifySignature(secret, header.replace(`t=${t}`, `t=${t + 1}`), body, t), false, 'the timestamp is signed');
    for (const bad of ['', 'v1=abc', `t=${t}`, `t=x,v1=${'0'.repeat(64)}`, null, undefined]) assert.equal(verifySignature(secret, bad, body, t), false, String(bad));
  });

  test('during a rotation, a header with the old and the new signature verifies with either secret', () => {
    const next = newWebhookSecret();
    const both = `${signatureHeader(secret, body, t)},v1=${signatureHeader(next, body, t).split('v1=')[1]}`;
    assert.equal(verifySignature(secret, both, body, t), true);
    assert.equal(verifySignature(next, both, body, t), true);
  });
});

describe('webhook targets', () => {
  const strict = { allowPrivate: false };
  const refusal = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof DomainError && error.code === 'invalid', String(error));
      assert.equal(error.errors[0].path, 'url');
      return error.errors[0].message;
    }
    assert.fail('expected a refusal');
  };

  test('loopback, private, link-local and other non-public addresses are refused, with the way to allow them', () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://api.localhost/hook',
      'http://10.1.2.3/',
      'http://172.20.0.1/',
      'http://192.168.1.10/',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://[::ffff:127.0.0.1]/',
    ])
      assert.match(
        refusal(() => checkTargetUrl(url, strict)),
        /not a public address.*KITH_WEBHOOK_ALLOW_PRIVATE=1/,
        url,
      );
    assert.equal(checkTargetUrl('http://127.0.0.1:8080/hook', { allowPrivate: true }), 'http://127.0.0.1:8080/hook');
  });

  test('only absolute http(s) URLs without credentials', () => {
    assert.match(
      refusal(() => checkTargetUrl('ftp://example.com/x', strict)),
      /http or https, not ftp/,
    );
    assert.match(
      refusal(() => checkTargetUrl('/relative', strict)),
      /absolute http\(s\) URL/,
    );
    assert.match(
      refusal(() => checkTargetUrl('https://user:pw@example.com/', strict)),
      /user name or password/,
    );
    assert.match(
      refusal(() => checkTargetUrl(42, strict)),
      /http\(s\) URL/,
    );
    assert.equal(checkTargetUrl(' https://Hooks.Example.com/kith ', strict), 'https://hooks.example.com/kith');
  });

  test('at delivery a name resolving to a private address is refused (DNS rebinding); a public one gives the address to connect to', async () => {
    const rebinding = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    await assert.rejects(resolveTarget('https://hooks.example.com/x', strict, rebinding), (e: any) => /resolves to 10\.0\.0\.5/.test(e.errors[0].message));
    const target = await resolveTarget('https://hooks.example.com/x', strict, async () => [{ address: '93.184.216.34', family: 4 }]);
    assert.equal(target.address, '93.184.216.34');
    await assert.rejects(
      resolveTarget('https://nowhere.example/x', strict, async () => []),
      /does not resolve/,
    );
    assert.equal((await resolveTarget('http://internal.example/x', { allowPrivate: true }, rebinding)).address, '93.184.216.34');
  });

  test('public addresses are not flagged', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '172.32.0.1', '192.169.0.1']) assert.equal(isNonPublicAddress(a), false, a);
    for (const a of ['127.0.0.2', '::1', '::ffff:10.0.0.1', '224.0.0.1']) assert.equal(isNonPublicAddress(a), true, a);
  });
});

describe('webhook retries', () => {
  test('delays double from 10 s to at most 2 h, never below half the nominal delay', () => {
    assert.equal(
      retryDelay(1, () => 1),
      FIRST_RETRY_MS,
    );
    assert.equal(
      retryDelay(1, () => 0),
      FIRST_RETRY_MS / 2,
    );
    assert.equal(
      retryDelay(2, () => 1),
      2 * FIRST_RETRY_MS,
    );
    assert.equal(
      retryDelay(40, () => 1),
      MAX_RETRY_MS,
    );
    assert.equal(
      retryDelay(40, () => 0),
      MAX_RETRY_MS / 2,
    );
  });

  test('a delivery failing every time is retried for at least 24 h, then given up', () => {
    const start = 0;
    let now = start;
    let attempts = 1;
    for (;;) {
      const next = nextAttemptAt(start, attempts, now, () => 0); // the shortest delays
      if (next === null) break;
      now = next;
      attempts++;
    }
    assert.ok(now >= RETRY_WINDOW_MS, `retried until ${now / 3_600_000} h`);
    assert.ok(attempts > 15 && attempts < 60, `${attempts} attempts`);
  });
});

describe('webhook events of a change', () => {
  const deal = { id: 'd1', title: 'Acme', stageId: 's1', status: 'open', completedAt: null };

  test('each audited change is <entity>.<verb>; refusals, conflicts and bookkeeping are none', () => {
    assert.deepEqual(
      eventsOfChange({ entityType: 'person', action: 'create', after: { id: 'p1' } }).map((e) => e.type),
      ['person.created'],
    );
    assert.deepEqual(eventsOfChange({ entityType: 'person', action: 'create', after: { id: 'p1' } })[0].data, { record: { id: 'p1' }, previous: null, changedFields: [] });
    assert.deepEqual(eventsOfChange({ entityType: 'organization', action: 'delete', before: { id: 'o1' } })[0].data.record, { id: 'o1' }, 'a delete carries the last state');
    for (const action of ['archive', 'restore', 'merge'] as const) assert.equal(eventsOfChange({ entityType: 'organization', action, before: {}, after: {} })[0].type, `organization.${action}d`);
    for (const action of ['conflict', 'rejected'] as const) assert.deepEqual(eventsOfChange({ entityType: 'deal', action, before: deal }), []);
    assert.deepEqual(eventsOfChange({ entityType: 'stageChange', action: 'create', after: { id: 'x' } }), []);
    assert.deepEqual(eventsOfChange({ entityType: 'membership', action: 'create', after: { id: 'x' } }), [], 'account changes are not record events');
  });

  test('a deal moved to another stage and won raises updated, stage_changed and won, in that order', () => {
    const after = { ...deal, stageId: 's2', status: 'won' };
    assert.deepEqual(
      eventsOfChange({ entityType: 'deal', action: 'update', before: deal, after, changedFields: ['stageId', 'status'] }).map((e) => e.type),
      ['deal.updated', 'deal.stage_changed', 'deal.won'],
    );
    assert.deepEqual(
      eventsOfChange({ entityType: 'deal', action: 'update', before: { ...deal, status: 'won' }, after: { ...deal, status: 'won', title: 'x' } }).map((e) => e.type),
      ['deal.updated'],
      'still won: no second deal.won',
    );
    assert.deepEqual(
      eventsOfChange({ entityType: 'deal', action: 'update', before: deal, after: { ...deal, status: 'lost' } }).map((e) => e.type),
      ['deal.updated', 'deal.lost'],
    );
  });

  test('an activity completed raises activity.completed once; custom records carry their type', () => {
    const open = { id: 'a1', completedAt: null };
    const done = { id: 'a1', completedAt: '2026-12-01T10:00:00.000Z' };
    assert.deepEqual(
      eventsOfChange({ entityType: 'activity', action: 'update', before: open, after: done }).map((e) => e.type),
      ['activity.updated', 'activity.completed'],
    );
    assert.deepEqual(
      eventsOfChange({ entityType: 'activity', action: 'update', before: done, after: { ...done, subject: 'x' } }).map((e) => e.type),
      ['activity.updated'],
    );
    assert.deepEqual(
      eventsOfChange({ entityType: 'activity', action: 'create', after: done }).map((e) => e.type),
      ['activity.created', 'activity.completed'],
    );
    const [event] = eventsOfChange({ entityType: 'record', action: 'create', after: { id: 'r1', type: 'project' } });
    assert.equal(event.type, 'record.created');
    assert.equal(event.objectType, 'project');
  });

  test('the event types an endpoint may subscribe to', () => {
    const types = eventTypesOf(['organization', 'deal', 'stageChange', 'record']);
    for (const t of ['organization.created', 'deal.merged', 'record.deleted', 'deal.won', 'deal.lost', 'deal.stage_changed', 'activity.completed']) assert.ok(types.includes(t), t);
    assert.ok(!types.some((t) => t.startsWith('stageChange.')));
  });
});

describe('sending one delivery', () => {
  test('a real receiver gets the body and headers at the checked address; its status and answer come back; a dead or slow one says why', async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        if (req.url === '/slow') return; // never answers
        res.writeHead(req.url === '/fail' ? 503 : 200, { 'content-type': 'application/json' }).end('{"id":"proj_42"}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    try {
      // the URL names a host that does not exist: the connection goes to the address resolveTarget checked
      const target = { url: new URL(`http://hooks.invalid:${port}/ok`), address: '127.0.0.1', family: 4 };
      const ok = await send(target, '{"a":1}', { headers: { 'kith-event': 'deal.won' } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body, '{"id":"proj_42"}');
      assert.equal(received[0].body, '{"a":1}');
      assert.equal(received[0].headers['kith-event'], 'deal.won');
      assert.equal(received[0].headers.host, `hooks.invalid:${port}`);
      assert.equal((await send({ ...target, url: new URL(`http://hooks.invalid:${port}/fail`) }, '{}')).status, 503);
      const slow = await send({ ...target, url: new URL(`http://hooks.invalid:${port}/slow`) }, '{}', { timeoutMs: 200 });
      assert.equal(slow.status, null);
      assert.match(slow.body, /no answer within 0.2 s/);
    } finally {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
    const dead = await send({ url: new URL(`http://127.0.0.1:${port}/`), address: '127.0.0.1', family: 4 }, '{}');
    assert.equal(dead.status, null);
    assert.match(dead.body, /ECONNREFUSED/);
  });
});
