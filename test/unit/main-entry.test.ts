/**
 * The Electron entry (main/index.ts) with the `electron` module itself replaced by vitest's
 * module mock: the entry imports `electron` directly, so this is the one place the real wiring
 * (which parts of the module reach the desktop, the preload and UI paths, the log file) is run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../../main/bridge.js';
import { apiCall } from '../helpers/server.js';

const fake = await vi.hoisted(async () => {
  const { createFakeElectron } = await import('../helpers/electron-mock.js');
  return createFakeElectron();
});

vi.mock('electron', () => ({ ...fake.api, default: fake.api }));

afterAll(async () => {
  if (!fake.app.quitted) {
    fake.app.quit();
    await fake.app.quitDone();
  }
});

describe('the Electron entry (main/index.ts)', () => {
  it('opens one window on the local server with the preload script, logs to <userData>/logs, and quits cleanly', async () => {
    await import('../../main/index.js');
    const logFile = path.join(fake.app.userData, 'logs', 'main.log');
    const logged = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
    for (let i = 0; i < 250 && !/window open on http/.test(logged()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logged()).toMatch(/local server: first start[\s\S]*window open on http:\/\/127\.0\.0\.1:\d+ \(local mode\)/);
    const win = fake.window();
    expect(win.options.webPreferences.preload).toMatch(/preload[/\\]preload\.cjs$/);
    expect(win.options.webPreferences.contextIsolation).toBe(true);

    const conn = await fake.invokeAsApp(CHANNELS.getConnection);
    assert.equal(conn.mode, 'local');
    assert.equal(win.currentUrl, `${conn.serverUrl}/`);
    assert.equal((await apiCall(conn.serverUrl, conn.apiKey, 'GET', '/crm')).body.role, 'OWNER');
    assert.deepEqual(fake.errors, [], 'no start-up error box');

    fake.app.quit();
    await fake.app.quitDone();
    await expect(fetch(`${conn.serverUrl}/crm`)).rejects.toThrow();
  });
});
