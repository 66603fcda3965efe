/**
 * The built server as a child process (`node dist/server/main.js`), for tests that crash, signal or
 * run several of them: run `npm run build:server` first (`npm test` builds).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const MAIN = path.resolve('dist/server/main.js');
const children: ChildProcess[] = [];

export interface Spawned {
  child: ChildProcess;
  url: string;
  key: string | null;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node dist/server/main.js` on a data dir (an ephemeral port unless `port`) and waits for
 * "Kith listening on …". `env` adds to the environment (e.g. `storeEnv(dir)` for PostgreSQL).
 */
export async function spawnServer(dir: string, options: { env?: Record<string, string>; port?: number } = {}): Promise<Spawned> {
  assert.ok(fs.existsSync(MAIN), `${MAIN} is missing: run npm run build:server first`);
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, KITH_DATA_DIR: dir, KITH_PORT: String(options.port ?? 0), KITH_HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      const match = /Kith listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`server exited before listening:\n${out}`)));
  });
  const key = /\b(kith_[0-9A-Za-z]{32})\b/.exec(out)?.[1] ?? null;
  return { child, url, key, output: () => out, exited };
}

/** SIGKILLs every spawned server still running (a test file's afterAll). */
export function killSpawned(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
