/**
 * Webhook signatures (SPEC §3): `Kith-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<raw body>")>`. A receiver recomputes the HMAC over the raw body it received and compares
 * in constant time, refusing timestamps too far from its clock (replays).
 */
import crypto from 'node:crypto';

/** How far a signature's timestamp may be from the verifier's clock. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A new endpoint signing secret: `whsec_` and 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

function hmac(secret: string, timestamp: number, body: string | Buffer): string {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The `Kith-Signature` header value for a body sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, body: string | Buffer, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/**
 * True when `header` signs `body` with `secret` and its timestamp is within the tolerance of
 * `now` (unix seconds). Several `v1=` values (a rotation in progress) are accepted if one matches.
 */
export function verifySignature(secret: string, header: string | undefined | null, body: string | Buffer, now = Math.floor(Date.now() / 1000), tolerance = SIGNATURE_TOLERANCE_SECONDS): boolean {
  if (!header) return false;
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value ?? '')) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? '')) signatures.push(value!);
  }
  if (timestamp === null || signatures.length === 0 || Math.abs(now - timestamp) > tolerance) return false;
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return signatures.some((s) => crypto.timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
