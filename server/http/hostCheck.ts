/**
 * DNS-rebinding protection for /crm, /sync and /auth when the server is bound to loopback: a
 * request must name a loopback host (`Host: 127.0.0.1:4317`, `localhost`, `[::1]`). A page on
 * another site whose name was re-pointed at 127.0.0.1 sends its own name and is refused (403).
 * A browser's `Origin`, when sent, must be this server's own (scheme http(s), the same host and
 * port as `Host`): a page of another site or another local port, or an opaque origin (`null`),
 * is refused too. The web UI and the desktop app load their pages from this server (same origin);
 * programs (`kith-mcp`, the CLI, scripts, Node's fetch) send no Origin.
 */
import type { NextFunction, Request, Response } from 'express';
import { problem, sendProblem } from './problem.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackName(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h) || h.endsWith('.localhost');
}

/** The host name of a Host header value ("127.0.0.1:4317" → "127.0.0.1", "[::1]:80" → "[::1]"). */
export function hostName(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith('[')) return v.slice(0, v.indexOf(']') + 1);
  return v.split(':')[0];
}

/** True when an `Origin` header names the page's own server: http(s) with the same host and port as `Host`. */
export function isOwnOrigin(origin: string, host: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.trim().toLowerCase();
  } catch {
    return false; // `null` (sandboxed frames, file: and data: pages) and anything unparsable
  }
}

/** Middleware refusing a non-loopback Host or a foreign Origin; a no-op unless `boundHost` is a loopback address. */
export function loopbackHostOnly(boundHost: string | undefined) {
  const active = boundHost !== undefined && isLoopbackName(boundHost.replace(/^\[(.*)\]$/, '$1'));
  return (req: Request, res: Response, next: NextFunction) => {
    if (!active) return next();
    const host = req.headers.host;
    if (!host || !isLoopbackName(hostName(host))) {
      return sendProblem(res, problem(403, 'Forbidden', `Invalid Host header: ${host ?? '(none)'} (this server is bound to loopback and answers only loopback host names)`));
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !isOwnOrigin(origin, host)) {
      return sendProblem(res, problem(403, 'Forbidden', `Invalid Origin header: ${origin} (this server is bound to loopback and answers browsers only from its own pages, ${req.protocol}://${host})`));
    }
    next();
  };
}
