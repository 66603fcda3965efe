/**
 * Helpers for the browser benches: command-line numbers, millisecond formatting, and the longest
 * main-thread block (long task) a page had while an action ran.
 */
import type { Page } from 'playwright-core';

/** `--name 123` from the command line, or the fallback. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;

/** Starts recording long tasks (main-thread blocks > 50 ms) in the page. */
export async function startLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __longest: number; __observer?: PerformanceObserver };
    w.__longest = 0;
    w.__observer?.disconnect();
    w.__observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
    });
    w.__observer.observe({ type: 'longtask', buffered: false });
  });
}

/** The longest long task since startLongTasks (0 when none). */
export const longestTask = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { __longest?: number }).__longest ?? 0);

/** One result line: label, time, and the longest main-thread block when measured. */
export function line(label: string, elapsed: number, longest: number | null, note = '', width = 46): void {
  console.log(`${label.padEnd(width)} ${ms(elapsed).padStart(10)}${longest === null ? '' : `   longest main-thread block ${ms(longest)}`}${note ? `   ${note}` : ''}`);
}

/** Times `action` until `done` resolves and prints it with the longest main-thread block. */
export async function timed(label: string, page: Page, action: () => Promise<void>, done: () => Promise<unknown>, width = 46): Promise<void> {
  await startLongTasks(page);
  const t0 = performance.now();
  await action();
  await done();
  const elapsed = performance.now() - t0;
  await page.waitForTimeout(50); // let pending long tasks be reported
  line(label, elapsed, await longestTask(page), '', width);
}

/** The median of some timings. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
