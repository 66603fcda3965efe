/**
 * Desktop settings (main/settings.ts): the mode and the remote server persist in settings.json,
 * keys only ever encrypted through safeStorage (faked with real AES-GCM per "keychain").
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { normalizeServerUrl, SecretStorageUnavailable, Settings } from '../../main/settings.js';
import { FakeSafeStorage, tempUserData } from '../helpers/electron-mock.js';

const KEY = 'kith_' + 'aB3'.repeat(10) + 'xy';

describe('desktop settings', () => {
  it('starts in local mode and remembers a remote server with its key encrypted', async () => {
    const file = path.join(tempUserData(), 'settings.json');
    const keychain = new FakeSafeStorage();
    const settings = Settings.open(file, keychain);
    assert.equal(settings.mode, 'local');
    assert.equal(await settings.remote(), null);

    await settings.setRemote({ serverUrl: ' https://crm.example.com/kith/ ', apiKey: KEY });
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.includes(KEY), 'key not in plain text');
    assert.ok(!text.includes(KEY.slice(5, 20)), 'no part of the key in plain text');
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');

    const reopened = Settings.open(file, keychain);
    assert.equal(reopened.mode, 'remote');
    assert.deepEqual(await reopened.remote(), { serverUrl: 'https://crm.example.com/kith', apiKey: KEY, workspace: null });

    // another keychain (new machine, reset keyring) cannot read it: the app asks again instead of using garbage
    assert.equal(await Settings.open(file, new FakeSafeStorage()).remote(), null);

    reopened.useLocal();
    const local = Settings.open(file, keychain);
    assert.equal(local.mode, 'local');
    assert.equal(await local.remote(), null);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).remote, null, 'the remote key is forgotten');
  });

  it('refuses bad input with a message naming the field', async () => {
    const settings = Settings.open(path.join(tempUserData(), 'settings.json'), new FakeSafeStorage());
    await assert.rejects(settings.setRemote({ serverUrl: 'crm.example.com', apiKey: KEY }), /serverUrl: 'crm.example.com' is not a URL/);
    await assert.rejects(settings.setRemote({ serverUrl: 'file:///etc', apiKey: KEY }), /serverUrl: must start with http:\/\/ or https:\/\//);
    await assert.rejects(settings.setRemote({ serverUrl: 'https://u:p@crm.example.com', apiKey: KEY }), /must not contain a user name or password/);
    await assert.rejects(settings.setRemote({ serverUrl: 'https://crm.example.com', apiKey: 'kith_short' }), /apiKey: expected kith_ followed by 32/);
    assert.equal(settings.mode, 'local');
    assert.equal(normalizeServerUrl('http://127.0.0.1:4317///'), 'http://127.0.0.1:4317');
  });

  it('will not store a key without OS secret storage', async () => {
    const keychain = new FakeSafeStorage();
    keychain.available = false;
    const file = path.join(tempUserData(), 'settings.json');
    const settings = Settings.open(file, keychain);
    await assert.rejects(settings.setRemote({ serverUrl: 'https://crm.example.com', apiKey: KEY }), SecretStorageUnavailable);
    assert.equal(settings.mode, 'local');

    // the local key: only its id is kept (the app mints a fresh key each start and revokes this one)
    await settings.setLocalKey(KEY, 'key-id-1');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(saved.local.ownerKey, null);
    assert.equal(saved.local.ownerKeyId, 'key-id-1');
    assert.ok(!fs.readFileSync(file, 'utf8').includes(KEY));
  });

  it('sets a damaged settings file aside and starts from defaults', () => {
    const dir = tempUserData();
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, '{ "version": 1, "mode": "remo');
    const lines: string[] = [];
    const settings = Settings.open(file, new FakeSafeStorage(), (line) => lines.push(line));
    assert.equal(settings.mode, 'local');
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith('settings.json.corrupt-')).length, 1);
    assert.match(lines[0], /could not be read/);
  });
});
