/**
 * Passwords: scrypt from node:crypto (memory-hard; N = 2^15, r = 8, p = 1 → 32 MiB and tens of
 * milliseconds per hash), a 16-byte random salt, stored as `scrypt$N$r$p$salt$hash` (base64url)
 * so the parameters can be raised later without invalidating stored hashes. Never logged.
 */
import crypto from 'node:crypto';
import { invalid } from '../errors.js';

const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
/** Minimum and maximum length a password may have (code points). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...params, maxmem: 256 * params.N * params.r }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Throws a validation error naming `password` unless it is acceptable. */
export function checkPasswordPolicy(password: unknown, path = 'password'): string {
  if (typeof password !== 'string') throw invalid(path, 'must be a string');
  const length = [...password].length;
  if (length < PASSWORD_MIN) throw invalid(path, `must be at least ${PASSWORD_MIN} characters`);
  if (length > PASSWORD_MAX) throw invalid(path, `must be at most ${PASSWORD_MAX} characters`);
  return password;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** A stored hash to compare with when the account does not exist, so the answer takes as long. */
let dummy: Promise<string> | null = null;

/** True when `password` matches `stored`; with no stored hash, spends the same time and says false. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) {
    dummy ??= hashPassword(crypto.randomBytes(16).toString('hex'));
    await verifyPassword(password, await dummy);
    return false;
  }
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) });
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}
