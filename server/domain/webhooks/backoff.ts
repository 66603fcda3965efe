/**
 * When a failed delivery is tried again (SPEC §3: exponential backoff with jitter, for at least
 * 24 hours, then the endpoint is marked failing). Delays double from 10 s up to 2 h; each is
 * "equal jitter": half fixed, half random, so retries of many endpoints spread out but never come
 * back sooner than half the nominal delay.
 */

export const FIRST_RETRY_MS = 10_000;
export const MAX_RETRY_MS = 2 * 60 * 60_000;
/** Deliveries keep being retried until their first attempt is this old. */
export const RETRY_WINDOW_MS = 24 * 60 * 60_000;

/** The delay before attempt `attempt + 1`, after `attempt` failed attempts (1 = the first try failed). */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const nominal = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/**
 * When to try a delivery again after its `attempt`-th failure, or null when it has been failing
 * for the whole retry window (the endpoint is then marked failing).
 */
export function nextAttemptAt(firstAttemptAt: number, attempt: number, now: number, random: () => number = Math.random): number | null {
  if (now - firstAttemptAt >= RETRY_WINDOW_MS) return null;
  return now + retryDelay(attempt, random);
}
