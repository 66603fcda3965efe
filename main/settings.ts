/**
 * Desktop settings: local or remote mode, the remote server, and the keys the app holds, in a
 * JSON file in the user data folder. Secrets (API keys) are stored only encrypted through
 * Electron's safeStorage (OS keychain / DPAPI / libsecret), base64 in the file; the plain key is
 * never written to disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { API_KEY_PATTERN } from '../server/api.js';
import type { ElectronApi } from './electronApi.js';

export type SafeStorage = ElectronApi['safeStorage'];

export interface RemoteSettings {
  serverUrl: string;
  apiKey: string;
  workspace: string | null;
}

interface SettingsFile {
  version: 1;
  mode: 'local' | 'remote';
  local: {
    /** Loopback port of the in-process server; kept stable so the window's origin (and its local store) stays the same. */
    port: number | null;
    /** The owner key this app holds for its local server, encrypted (base64). */
    ownerKey: string | null;
    /** Id of that key (not secret): lets the app revoke it when it has to replace it. */
    ownerKeyId: string | null;
  };
  remote: { serverUrl: string; apiKey: string; workspace: string | null } | null;
}

function defaults(): SettingsFile {
  return { version: 1, mode: 'local', local: { port: null, ownerKey: null, ownerKeyId: null }, remote: null };
}

export class SecretStorageUnavailable extends Error {
  constructor() {
    super('This system offers no secure storage for secrets (OS keychain), so Kith cannot save an API key. Unlock or install a keyring and try again.');
    this.name = 'SecretStorageUnavailable';
  }
}

/** Checks a remote server address: http(s), no credentials, query or fragment; returns it without a trailing slash. */
export function normalizeServerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(String(input).trim());
  } catch {
    throw new Error(`serverUrl: '${input}' is not a URL (expected e.g. https://kith.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`serverUrl: must start with http:// or https:// (got ${url.protocol})`);
  if (url.username || url.password) throw new Error('serverUrl: must not contain a user name or password; the API key is entered separately');
  if (url.search || url.hash) throw new Error('serverUrl: must not contain a query or fragment');
  return (url.origin + url.pathname).replace(/\/+$/, '');
}

export function checkApiKey(input: string): string {
  const key = String(input ?? '').trim();
  if (!API_KEY_PATTERN.test(key)) throw new Error('apiKey: expected kith_ followed by 32 letters and digits');
  return key;
}

export class Settings {
  private data: SettingsFile;

  private constructor(
    readonly file: string,
    private readonly safeStorage: SafeStorage,
    data: SettingsFile,
  ) {
    this.data = data;
  }

  /** Reads the settings file (missing → defaults; unreadable → set aside as `.corrupt` and defaults). */
  static open(file: string, safeStorage: SafeStorage, log: (line: string) => void = () => {}): Settings {
    let data = defaults();
    if (fs.existsSync(file)) {
      try {
        const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SettingsFile>;
        if (parsed?.version !== 1) throw new Error(`unknown settings version ${String(parsed?.version)}`);
        data = {
          ...defaults(),
          ...parsed,
          mode: parsed.mode === 'remote' && parsed.remote ? 'remote' : 'local',
          local: { ...defaults().local, ...(parsed.local ?? {}) },
          remote: parsed.remote ?? null,
        };
      } catch (error) {
        const aside = `${file}.corrupt-${Date.now()}`;
        fs.renameSync(file, aside);
        log(`settings: ${file} could not be read (${(error as Error).message}); moved to ${aside}, starting from defaults`);
      }
    }
    return new Settings(file, safeStorage, data);
  }

  get mode(): 'local' | 'remote' {
    return this.data.mode;
  }

  get localPort(): number | null {
    return this.data.local.port;
  }

  get localKeyId(): string | null {
    return this.data.local.ownerKeyId;
  }

  async canStoreSecrets(): Promise<boolean> {
    try {
      return await this.safeStorage.isAsyncEncryptionAvailable();
    } catch {
      return false;
    }
  }

  setLocalPort(port: number): void {
    if (this.data.local.port === port) return;
    this.data.local.port = port;
    this.save();
  }

  /** The owner key held for the local server, or null when none is stored or it cannot be decrypted. */
  async localKey(): Promise<string | null> {
    return this.decrypt(this.data.local.ownerKey, (fresh) => (this.data.local.ownerKey = fresh));
  }

  /** Stores the local owner key encrypted when the system can; otherwise keeps only its id (see localServer.ts). */
  async setLocalKey(key: string, id: string | null): Promise<void> {
    this.data.local.ownerKey = (await this.canStoreSecrets()) ? await this.encrypt(key) : null;
    this.data.local.ownerKeyId = id;
    this.save();
  }

  async remote(): Promise<RemoteSettings | null> {
    const remote = this.data.remote;
    if (!remote) return null;
    const apiKey = await this.decrypt(remote.apiKey, (fresh) => (remote.apiKey = fresh));
    if (!apiKey) return null;
    return { serverUrl: remote.serverUrl, apiKey, workspace: remote.workspace };
  }

  /** Switches to remote mode with this server and key (validated; the key stored encrypted). */
  async setRemote(input: { serverUrl: string; apiKey: string; workspace?: string | null }): Promise<RemoteSettings> {
    const serverUrl = normalizeServerUrl(input.serverUrl);
    const apiKey = checkApiKey(input.apiKey);
    const workspace = input.workspace?.trim() || null;
    if (!(await this.canStoreSecrets())) throw new SecretStorageUnavailable();
    this.data.remote = { serverUrl, apiKey: await this.encrypt(apiKey), workspace };
    this.data.mode = 'remote';
    this.save();
    return { serverUrl, apiKey, workspace };
  }

  /** Back to the in-process server. The remote entry is forgotten (its key with it). */
  useLocal(): void {
    this.data.mode = 'local';
    this.data.remote = null;
    this.save();
  }

  private async encrypt(plain: string): Promise<string> {
    return (await this.safeStorage.encryptStringAsync(plain)).toString('base64');
  }

  private async decrypt(stored: string | null, reencrypted: (fresh: string) => void): Promise<string | null> {
    if (!stored) return null;
    try {
      const { result, shouldReEncrypt } = await this.safeStorage.decryptStringAsync(Buffer.from(stored, 'base64'));
      if (shouldReEncrypt) {
        reencrypted(await this.encrypt(result));
        this.save();
      }
      return result;
    } catch {
      return null; // keychain changed or entry damaged: callers fall back (new local key / ask for the remote key)
    }
  }

  /** Atomic write (temp file + rename), readable by the user only. */
  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
