/**
 * Builds the browser harness of the data layer (renderer/data/harness.ts) into a temp folder with
 * an index.html, so a real server can serve it (uiDir) and headless Chromium can drive the real
 * store on Dexie/IndexedDB.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

export async function buildHarness(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-sync-harness-'));
  await build({
    entryPoints: [path.resolve('renderer/data/harness.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outfile: path.join(dir, 'harness.js'),
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>Kith data harness</title><script type="module" src="/harness.js"></script></head><body>harness</body></html>',
  );
  return dir;
}
