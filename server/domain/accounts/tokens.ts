/**
 * Opaque one-time and session tokens: 32 random bytes, base64url, with a prefix saying what they
 * are (`kses_` session, `kset_` setup or reset link, `kinv_` invite; for OAuth (oauth.ts) `kareq_`
 * authorization request, `kacode_` code, `kat_` access token, `krt_` refresh token). Only a SHA-256
 * hash is stored; the raw token exists in the cookie, the link or the client alone.
 */
import crypto from 'node:crypto';
import { hashApiKey } from './keys.js';

export type TokenKind = 'kses' | 'kset' | 'kinv' | 'kareq' | 'kacode' | 'kat' | 'krt';

export function newToken(kind: TokenKind): string {
  return `${kind}_${crypto.randomBytes(32).toString('base64url')}`;
}

export function isToken(raw: unknown, kind: TokenKind): raw is string {
  return typeof raw === 'string' && raw.length === kind.length + 44 && raw.startsWith(`${kind}_`) && /^[A-Za-z0-9_-]+$/.test(raw);
}

/** The stored form of a token (the same SHA-256 as API keys). */
export const hashToken = (raw: string): string => hashApiKey(raw);
