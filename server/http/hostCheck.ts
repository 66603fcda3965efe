/**
 * DNS-rebinding protection for /crm, /sync and /auth when the server is bound to loopback: a
 * request must name a loopback host (`Host: 127.0.0.1:4317`, `localhost`, `[::1]`). A page on
 * another site whose name was re-pointed at 127.0.0.1 sends its own name and is refused (403).
 * Origin is not checked here (the desktop app's pages have an opaque origin); cookie writes are
 * held to this server's own origin by the CSRF rule (session.ts).
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

/** Middleware refusing a non-loopback Host; a no-op unless `boundHost` is a loopback address. */
export function loopbackHostOnly(boundHost: string | undefined) {
  const active = boundHost !== undefined && isLoopbackName(boundHost.replace(/^\[(.*)\]$/, '$1'));
  return (req: Request, res: Response, next: NextFunction) => {
    if (!active) return next();
    const host = req.headers.host;
    if (host && isLoopbackName(hostName(host))) return next();
    sendProblem(res, problem(403, 'Forbidden', `Invalid Host header: ${host ?? '(none)'} (this server is bound to loopback and answers only loopback host names)`));
  };
}
