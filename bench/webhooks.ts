/**
 * Webhook delivery: latency from the commit of a change to the receiver (p50/p99), one change at a
 * time, and throughput — deliveries per second to a local receiver for a burst of N events queued
 * at once — through the real server (REST writes, the outbox, the dispatcher, HTTP to loopback).
 *
 *   npx tsx bench/webhooks.ts
 *   KITH_BENCH_EVENTS=2000 npx tsx bench/webhooks.ts
 *
 * Aim: p50 under 100 ms, at least 500 deliveries/s.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../server/server.js';

const EVENTS = Number(process.env.KITH_BENCH_EVENTS ?? 10_000);
const LATENCY_SAMPLES = 300;

process.env.KITH_WEBHOOK_ALLOW_PRIVATE = '1';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-bench-webhooks-'));
let key = '';
const server = await startServer({ dataDir, port: 0, log: null, uiDir: null, onFirstStart: (f) => (key = f.key) });
const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(server.url + url, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
};

let received = 0;
let onReceive: ((at: number, body: string) => void) | null = null;
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    received++;
    onReceive?.(performance.now(), body);
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const port = (receiver.address() as { port: number }).port;
await api('POST', '/crm/webhooks', { url: `http://127.0.0.1:${port}/hook`, events: ['organization.created'] });

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// latency: one change at a time, from the REST answer (the commit is before it) to the receiver
const latencies: number[] = [];
for (let i = 0; i < LATENCY_SAMPLES; i++) {
  const arrived = new Promise<number>((resolve) => (onReceive = (at) => resolve(at)));
  await api('POST', '/crm/organizations', { name: `Latency ${i}` });
  const committed = performance.now();
  latencies.push((await arrived) - committed);
}
onReceive = null;
console.log(`Kith webhooks bench (one endpoint on loopback, ${os.cpus().length} cores)\n`);
console.log(`commit → receiver, one change at a time (${LATENCY_SAMPLES}):  p50 ${pct(latencies, 50).toFixed(1)} ms   p99 ${pct(latencies, 99).toFixed(1)} ms   (aim p50 < 100 ms)`);

// throughput: N events queued while the receiver is down, then sent in order once it answers
await new Promise((r) => receiver.close(r));
const before = received;
const queued = performance.now();
for (let i = 0; i < EVENTS; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, EVENTS - i) }, (_, j) => api('POST', '/crm/organizations', { name: `Burst ${i + j}` })));
}
const queueMs = performance.now() - queued;
let last = -1;
let outOfOrder = 0;
onReceive = (_at, body) => {
  const n = Number(/Burst (\d+)/.exec(body)?.[1] ?? -1);
  if (n >= 0 && n < last) outOfOrder++;
  last = Math.max(last, n);
};
// the receiver comes back; its oldest delivery is retried at once (instead of waiting out its backoff)
const [endpoint] = (await api('GET', '/crm/webhooks')).data;
const head = await server.services.store.db.selectFrom('webhookDeliveries').select('id').where('state', '=', 'pending').orderBy('seq').limit(1).executeTakeFirstOrThrow();
await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
const started = performance.now();
await api('POST', `/crm/webhooks/${endpoint.id}/deliveries/${head.id}/retry`);
while (received - before < EVENTS) await new Promise((r) => setTimeout(r, 5));
const sendMs = performance.now() - started;
console.log(`${EVENTS.toLocaleString('en')} events queued over REST (receiver down)         ${(queueMs / 1000).toFixed(1)} s`);
console.log(
  `… then delivered to the receiver, in order per endpoint     ${(sendMs / 1000).toFixed(1)} s   ${Math.round(EVENTS / (sendMs / 1000))} deliveries/s   (aim ≥ 500/s; ${outOfOrder} out of order)`,
);

receiver.closeAllConnections();
receiver.close();
await server.close();
fs.rmSync(dataDir, { recursive: true, force: true });
