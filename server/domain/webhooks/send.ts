/**
 * One HTTP POST of a webhook delivery (or an automation's HTTP step) to a target already resolved
 * by `resolveTarget`: the connection goes to the checked address (the URL's host name still names
 * the site for TLS and the Host header), redirects are not followed, the answer is read up to a
 * small limit, and a slow target is cut off.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export interface SendResult {
  /** HTTP status, or null when no answer came (refused, reset, timed out). */
  status: number | null;
  /** The start of the answer's body (at most `maxBody` characters), or why there was none. */
  body: string;
  ms: number;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBody?: number;
}

/**
 * Kept-alive connections, a few per host: a burst of deliveries to one endpoint reuses them. A
 * pooled connection was made to an address checked when it was opened.
 */
const POOL = { keepAlive: true, maxSockets: 4, timeout: 5_000 }; // idle sockets closed after 5 s
const agents = { http: new http.Agent(POOL), https: new https.Agent(POOL) };

export function send(target: { url: URL; address: string; family: number }, body: string, options: SendOptions = {}): Promise<SendResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBody = options.maxBody ?? 4096;
  const lookup: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const secure = target.url.protocol === 'https:';
  const client = secure ? https : http;
  return new Promise((resolve) => {
    const done = (status: number | null, text: string) => resolve({ status, body: text, ms: Math.round(performance.now() - started) });
    const req = client.request(
      target.url,
      {
        method: options.method ?? 'POST',
        lookup,
        agent: secure ? agents.https : agents.http,
        headers: { 'content-type': 'application/json', 'user-agent': 'Kith-Webhooks/1', 'content-length': Buffer.byteLength(body), ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < maxBody) text += chunk.slice(0, maxBody - text.length);
        });
        res.on('end', () => done(res.statusCode ?? null, text));
        res.on('error', (error) => done(res.statusCode ?? null, text || error.message));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (error: NodeJS.ErrnoException) => done(null, error.code ? `${error.code}: ${error.message}` : error.message));
    req.end(body);
  });
}
