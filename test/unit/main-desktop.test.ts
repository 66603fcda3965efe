/**
 * The desktop main process with a fake `electron` (test/helpers/electron-mock.ts) around real
 * parts: the in-process sync server on a loopback port with SQLite in a temp user data folder,
 * a real remote server, real HTTP.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { CHANNELS } from '../../main/bridge.js';
import { createDesktop, type Desktop } from '../../main/desktop.js';
import { CONTENT_SECURITY_POLICY } from '../../main/window.js';
import { createFakeElectron, FakeSafeStorage, FakeWebContents, tempUserData, type FakeElectron } from '../helpers/electron-mock.js';
import { apiCall, startTestServer, type TestServer } from '../helpers/server.js';

const PRELOAD = '/app/out/preload/preload.cjs';
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const clean of cleanups.reverse()) await clean();
});

function launch(fake: FakeElectron, extra: { argv?: string[]; retryMs?: number } = {}): Desktop {
  const desktop = createDesktop({
    electron: fake.api,
    preloadPath: PRELOAD,
    uiDir: null,
    mcpScript: path.resolve('dist/server/mcp-stdio.js'),
    defaultPort: 0,
    log: () => {},
    ...extra,
  });
  cleanups.push(() => desktop.shutdown());
  return desktop;
}

async function quit(fake: FakeElectron): Promise<void> {
  fake.app.quit();
  await fake.app.quitDone();
}

/** Waits until the window shows `url` (after setConnection the app answers first, then navigates). */
async function shows(fake: FakeElectron, url: string): Promise<void> {
  for (let i = 0; i < 100 && fake.window().currentUrl !== url; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(fake.window().currentUrl, url);
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

describe('desktop app, local mode', () => {
  it('starts the sync server on loopback with its data in the user data folder and opens the window on it', async () => {
    const fake = createFakeElectron();
    const desktop = launch(fake);
    assert.equal(await desktop.start(), true);

    const conn = await fake.invokeAsApp(CHANNELS.getConnection);
    assert.equal(conn.mode, 'local');
    assert.match(conn.serverUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(conn.workspace, 'default');
    assert.match(conn.apiKey, /^kith_[0-9A-Za-z]{32}$/);
    assert.ok(fs.existsSync(path.join(fake.app.userData, 'data')), 'SQLite data lives in <userData>/data');

    // the window shows the server's UI and the key the app hands over works against it
    assert.equal(fake.window().currentUrl, `${conn.serverUrl}/`);
    const info = await apiCall(conn.serverUrl, conn.apiKey, 'GET', '/crm');
    assert.equal(info.status, 200);
    assert.equal(info.body.workspace.slug, 'default');
    assert.equal(info.body.role, 'OWNER');

    // the key is never written in plain text
    const settingsText = fs.readFileSync(path.join(fake.app.userData, 'settings.json'), 'utf8');
    assert.ok(!settingsText.includes(conn.apiKey), 'owner key must not appear in settings.json');
    assert.ok(fake.window().visible, 'window shown once ready');

    await quit(fake);
  });

  it('opens a sandboxed, isolated window with only the preload bridge, a CSP and no permissions', async () => {
    const fake = createFakeElectron();
    const desktop = launch(fake);
    await desktop.start();
    const prefs = fake.window().options.webPreferences;
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.preload, PRELOAD);

    const origin = new URL(fake.window().currentUrl!).origin;
    // CSP on the app's documents, replacing whatever the server sent; other responses untouched
    const doc = fake.session.headersFor(`${origin}/deals/1`, 'mainFrame', { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] });
    assert.deepEqual(doc['Content-Security-Policy'], [CONTENT_SECURITY_POLICY]);
    assert.equal(doc['content-security-policy'], undefined);
    assert.deepEqual(doc['Content-Type'], ['text/html']);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.equal(fake.session.headersFor(`${origin}/crm/people`, 'xhr', {})['Content-Security-Policy'], undefined);
    assert.equal(fake.session.askPermission('media'), false);
    assert.equal(fake.session.askPermission('notifications'), false);

    // pop-ups never become Electron windows; web links go to the system browser
    const win = fake.window();
    assert.deepEqual(win.webContents.windowOpenHandler!({ url: 'https://example.com/docs' }), { action: 'deny' });
    assert.deepEqual(win.webContents.windowOpenHandler!({ url: 'file:///etc/passwd' }), { action: 'deny' });
    assert.deepEqual(fake.opened, ['https://example.com/docs']);
    // navigation stays on the app origin
    assert.equal(win.webContents.navigate(`${origin}/people`), true);
    assert.equal(win.webContents.navigate('https://evil.example/'), false);
    assert.equal(win.webContents.navigate('file:///etc/passwd'), false);
    assert.equal(win.webContents.navigate('http://127.0.0.1:1/', 'will-redirect'), false);
    assert.deepEqual(fake.opened, ['https://example.com/docs', 'https://evil.example/', 'http://127.0.0.1:1/']);

    // the bridge answers only the app's own page in the app window
    await assert.rejects(fake.ipcMain.invoke(CHANNELS.getConnection, { sender: win.webContents, frameUrl: 'https://evil.example/' }), /only available to the Kith app page/);
    const otherContents = new FakeWebContents(); // e.g. a devtools or helper page in another window
    await assert.rejects(fake.ipcMain.invoke(CHANNELS.getConnection, { sender: otherContents, frameUrl: `${origin}/` }), /only available/);
    await fake.invokeAsApp(CHANNELS.openExternal, 'mailto:ana@example.com');
    await assert.rejects(fake.invokeAsApp(CHANNELS.openExternal, 'file:///etc/passwd'), /only http\(s\) and mailto/);
    await assert.rejects(fake.invokeAsApp(CHANNELS.openExternal, 'javascript:alert(1)'), /only http\(s\) and mailto/);
    assert.deepEqual(fake.opened.at(-1), 'mailto:ana@example.com');
    await quit(fake);
  });

  it('keeps its own owner key and port across restarts, and replaces a revoked key', async () => {
    const userData = tempUserData();
    const keychain = new FakeSafeStorage();
    const first = createFakeElectron({ userData, safeStorage: keychain });
    await launch(first).start();
    const before = await first.invokeAsApp(CHANNELS.getConnection);
    await quit(first);

    const second = createFakeElectron({ userData, safeStorage: keychain });
    const desktop = launch(second);
    await desktop.start();
    const again = await second.invokeAsApp(CHANNELS.getConnection);
    assert.equal(again.apiKey, before.apiKey, 'same key after restart');
    assert.equal(again.serverUrl, before.serverUrl, 'same port, so the window origin and its local store stay');

    // the owner revokes the key (e.g. with the CLI): next start makes a new one and it works
    await desktop.localServer!.server.services.accounts.revokeApiKey(again.apiKey);
    await quit(second);
    const third = createFakeElectron({ userData, safeStorage: keychain });
    await launch(third).start();
    const fresh = await third.invokeAsApp(CHANNELS.getConnection);
    assert.notEqual(fresh.apiKey, before.apiKey);
    assert.equal((await apiCall(fresh.serverUrl, fresh.apiKey, 'GET', '/crm')).status, 200);
    assert.equal((await apiCall(fresh.serverUrl, before.apiKey, 'GET', '/crm')).status, 401);
    await quit(third);

    // a different OS keychain cannot read the stored key: a new key, the unreadable one revoked
    const fourth = createFakeElectron({ userData, safeStorage: new FakeSafeStorage() });
    await launch(fourth).start();
    const replaced = await fourth.invokeAsApp(CHANNELS.getConnection);
    assert.notEqual(replaced.apiKey, fresh.apiKey);
    assert.equal((await apiCall(replaced.serverUrl, fresh.apiKey, 'GET', '/crm')).status, 401);
    assert.equal((await apiCall(replaced.serverUrl, replaced.apiKey, 'GET', '/crm')).status, 200);
    await quit(fourth);
  });

  it('quits cleanly: the server closes before the process exits', async () => {
    const fake = createFakeElectron();
    await launch(fake).start();
    const { serverUrl, apiKey } = await fake.invokeAsApp(CHANNELS.getConnection);
    assert.equal((await apiCall(serverUrl, apiKey, 'GET', '/health')).status, 200);
    fake.app.quit();
    assert.equal(fake.app.quitted, false, 'first quit is held until the server has closed');
    await fake.app.quitDone();
    assert.equal(fake.app.quitCalls, 2);
    assert.ok(await refused(`${serverUrl}/health`), 'server no longer listening');
  });

  it('a second instance quits at once and focuses the first window', async () => {
    const fake = createFakeElectron();
    await launch(fake).start();
    const win = fake.window();
    win.minimized = true;
    fake.app.emit('second-instance', {}, ['kith'], process.cwd());
    assert.equal(win.minimized, false);
    assert.equal(win.focused, 1);

    const other = createFakeElectron({ userData: fake.app.userData });
    other.app.singleInstance = false;
    assert.equal(await launch(other).start(), false);
    assert.equal(other.windows().length, 0);
    assert.ok(other.app.quitted);
    await quit(fake);
  });
});

describe('desktop app, remote mode', () => {
  let remote: TestServer;

  it('connects to a remote server from settings, keeps its key encrypted, and comes back to it after restart', async () => {
    remote = await startTestServer();
    cleanups.push(() => remote.stop());
    const userData = tempUserData();
    const keychain = new FakeSafeStorage();
    const fake = createFakeElectron({ userData, safeStorage: keychain });
    const desktop = launch(fake);
    await desktop.start();
    const localUrl = (await fake.invokeAsApp(CHANNELS.getConnection)).serverUrl;

    // mistakes are explained and change nothing
    await assert.rejects(fake.invokeAsApp(CHANNELS.setConnection, { mode: 'remote', serverUrl: 'ftp://x', apiKey: remote.key }), /serverUrl: must start with http/);
    await assert.rejects(fake.invokeAsApp(CHANNELS.setConnection, { mode: 'remote', serverUrl: remote.url, apiKey: 'secret' }), /apiKey: expected kith_/);
    await assert.rejects(fake.invokeAsApp(CHANNELS.setConnection, { mode: 'remote', serverUrl: remote.url, apiKey: 'kith_' + 'A'.repeat(32) }), /rejected the API key/);
    await assert.rejects(fake.invokeAsApp(CHANNELS.setConnection, { mode: 'remote', serverUrl: 'http://127.0.0.1:1', apiKey: remote.key }), /Could not reach http:\/\/127\.0\.0\.1:1/);
    assert.equal((await fake.invokeAsApp(CHANNELS.getConnection)).mode, 'local');

    await fake.invokeAsApp(CHANNELS.setConnection, { mode: 'remote', serverUrl: `${remote.url}/`, apiKey: remote.key });
    const conn = await desktop.getConnection();
    assert.deepEqual(conn, { mode: 'remote', serverUrl: remote.url, apiKey: remote.key, workspace: 'default' });
    await shows(fake, `${remote.url}/`);
    assert.equal(desktop.localServer, null);
    assert.ok(await refused(`${localUrl}/health`), 'local server stopped');

    const settingsText = fs.readFileSync(path.join(userData, 'settings.json'), 'utf8');
    assert.ok(!settingsText.includes(remote.key), 'remote key stored encrypted, not in plain text');
    assert.equal(JSON.parse(settingsText).remote.serverUrl, remote.url);
    await quit(fake);

    const restarted = createFakeElectron({ userData, safeStorage: keychain });
    const desktop2 = launch(restarted);
    await desktop2.start();
    assert.equal(desktop2.localServer, null, 'remote mode does not run the local server');
    assert.deepEqual(await restarted.invokeAsApp(CHANNELS.getConnection), conn);
    assert.equal(restarted.window().currentUrl, `${remote.url}/`);

    // back to local
    await restarted.invokeAsApp(CHANNELS.setConnection, { mode: 'local' });
    const back = (await desktop2.getConnection())!;
    assert.equal(back.mode, 'local');
    await shows(restarted, `${back.serverUrl}/`);
    assert.equal((await apiCall(back.serverUrl, back.apiKey, 'GET', '/crm')).status, 200);
    assert.equal(JSON.parse(fs.readFileSync(path.join(userData, 'settings.json'), 'utf8')).remote, null);
    await quit(restarted);
  });

  it('shows a notice while the remote server is unreachable and opens it once it answers; --local overrides', async () => {
    const server = await startTestServer();
    const userData = tempUserData();
    const keychain = new FakeSafeStorage();
    const setup = createFakeElectron({ userData, safeStorage: keychain });
    await launch(setup).start();
    await setup.invokeAsApp(CHANNELS.setConnection, { mode: 'remote', serverUrl: server.url, apiKey: server.key });
    await quit(setup);
    await server.stop({ keepData: true });

    const fake = createFakeElectron({ userData, safeStorage: keychain });
    const desktop = launch(fake, { retryMs: 100 });
    await desktop.start();
    const win = fake.window();
    assert.match(win.currentUrl!, /^data:text\/html/);
    assert.match(decodeURIComponent(win.currentUrl!), new RegExp(`Can't reach ${server.url}`));
    assert.equal((await desktop.getConnection())!.serverUrl, server.url);

    const back = await startTestServer({ dataDir: server.dataDir, port: server.port });
    cleanups.push(() => back.stop());
    await shows(fake, `${server.url}/`);
    await quit(fake);

    const forced = createFakeElectron({ userData, safeStorage: keychain });
    await launch(forced, { argv: ['.', '--local'] }).start();
    assert.equal((await forced.invokeAsApp(CHANNELS.getConnection)).mode, 'local');
    await quit(forced);
  });
});
