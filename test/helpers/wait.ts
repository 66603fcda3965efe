/** Waiting in integration tests for state another process or a timer brings about. */
import assert from 'node:assert/strict';

/** Polls `pred` every `interval` ms until it holds; fails naming `what` after `ms`. */
export async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 10_000, interval = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
