/**
 * Brute-force limits (SPEC §1): failed sign-ins per client address and per account, and failed
 * keys per client address, counted in fixed windows in this process's memory. Over the limit, a
 * failing attempt is answered 429 with Retry-After; a valid key is never refused (it is checked
 * before the limit is applied), so a key in use keeps working while someone guesses beside it.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Services } from '../domain/services.js';
import { keyFromRequest } from './auth.js';
import { problem, sendProblem } from './problem.js';
import { sessionToken } from './session.js';

export interface LimitSettings {
  /** Length of a counting window (default 15 minutes). */
  windowMs: number;
  /** Failed sign-ins one account may have in a window (default 10). */
  signInPerAccount: number;
  /** Failed sign-ins one client address may have in a window (default 50). */
  signInPerAddress: number;
  /** Failed API keys or session tokens one client address may send in a window (default 100). */
  keysPerAddress: number;
}

export const DEFAULT_LIMITS: LimitSettings = { windowMs: 15 * 60_000, signInPerAccount: 10, signInPerAddress: 50, keysPerAddress: 100 };

/** Entries kept before expired ones are swept (and, if still too many, all dropped). */
const MAX_ENTRIES = 100_000;

/** Failures per key (an address or an account) in fixed windows. */
export class FailureCounter {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until `key` may try again, or 0 when it is under the limit. */
  blockedFor(key: string, now = Date.now()): number {
    const entry = this.entries.get(key);
    if (!entry || entry.resetAt <= now || entry.count < this.limit) return 0;
    return Math.max(1, Math.ceil((entry.resetAt - now) / 1000));
  }

  fail(key: string, now = Date.now()): void {
    const entry = this.entries.get(key);
    if (entry && entry.resetAt > now) entry.count++;
    else {
      if (this.entries.size >= MAX_ENTRIES) this.sweep(now);
      this.entries.set(key, { count: 1, resetAt: now + this.windowMs });
    }
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.resetAt <= now) this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
  }
}

export interface Limits {
  settings: LimitSettings;
  signInByAccount: FailureCounter;
  signInByAddress: FailureCounter;
  keysByAddress: FailureCounter;
}

export function createLimits(overrides: Partial<LimitSettings> = {}): Limits {
  const settings = { ...DEFAULT_LIMITS, ...overrides };
  return {
    settings,
    signInByAccount: new FailureCounter(settings.signInPerAccount, settings.windowMs),
    signInByAddress: new FailureCounter(settings.signInPerAddress, settings.windowMs),
    keysByAddress: new FailureCounter(settings.keysPerAddress, settings.windowMs),
  };
}

/**
 * The address a request came from: the socket's, or, from a trusted proxy (KITH_TRUST_PROXY), the
 * client it names in X-Forwarded-For. Untrusted, a reverse proxy's clients all share its address.
 */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function sendTooMany(res: Response, seconds: number, what: string): void {
  res.setHeader('Retry-After', String(seconds));
  sendProblem(res, problem(429, 'Too many requests', `too many ${what}; try again in ${seconds} s`));
}

/**
 * For /crm, /sync and /mcp: a request that carries a credential and is answered 401 counts as a
 * failure of its address. Once the address is over the limit, a request whose credential does
 * not authenticate is answered 429 before it reaches the route; one whose credential is valid
 * goes on as usual. An expired OAuth access token is no guess (only its hash matched): it is not
 * counted and always gets its 401, which tells the client to refresh it.
 */
/** An OAuth access token that was issued and has expired (clients refresh on its 401). */
const expiredToken = (raw: string, failure: string) => raw.startsWith('kat_') && failure === 'expired';

export function limitFailedCredentials(services: Services, limits: Limits) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const raw = keyFromRequest(req) ?? sessionToken(req);
    if (raw === null) return next();
    const address = clientAddress(req);
    try {
      const wait = limits.keysByAddress.blockedFor(address);
      if (wait > 0) {
        const result = await services.accounts.authenticateAny(raw);
        if ('failure' in result && !expiredToken(raw, result.failure)) return sendTooMany(res, wait, 'requests with an invalid API key or session from this address');
      }
    } catch (error) {
      return next(error);
    }
    res.on('finish', () => {
      if (res.statusCode !== 401) return;
      if (!raw.startsWith('kat_')) return limits.keysByAddress.fail(address);
      void services.accounts
        .authenticateAny(raw)
        .then((result) => {
          if (!('failure' in result && expiredToken(raw, result.failure))) limits.keysByAddress.fail(address);
        })
        .catch(() => limits.keysByAddress.fail(address));
    });
    next();
  };
}
