/**
 * An MCP client's side of OAuth for the tests: the SDK's `OAuthClientProvider` kept in memory (what
 * a connector such as Claude keeps in its own store), and the consent step done over HTTP as the
 * consent page does it (tests that drive the page itself use Chromium: test/e2e/oauth.test.ts).
 */
import assert from 'node:assert/strict';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

export class MemoryOAuthProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  /** The last authorization URL the SDK asked to open in a browser. */
  authorizationUrl: URL | null = null;

  constructor(
    readonly redirectUrl: string,
    private readonly metadata: Partial<OAuthClientMetadata> = {},
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Test agent',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...this.metadata,
    };
  }
  state(): string {
    return 'state-' + Math.random().toString(36).slice(2);
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
  }
}

/** Follows /oauth/authorize to the consent page and returns the request token in its fragment. */
export async function consentRequest(authorizationUrl: URL | string): Promise<string> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  assert.equal(res.status, 302, `authorize answered ${res.status}: ${await res.text()}`);
  const location = new URL(res.headers.get('location')!);
  assert.equal(location.pathname, '/consent', `authorize redirected to ${location.href}`);
  const request = new URLSearchParams(location.hash.slice(1)).get('request');
  assert.ok(request, 'the consent page address carries the request');
  return request;
}

/**
 * The consent page's answer over HTTP, as the signed-in person (`cookie`): returns the client's
 * redirect URL with the code (or the error).
 */
export async function answerConsent(
  baseUrl: string,
  cookie: string,
  request: string,
  answer: { decision?: 'allow' | 'deny'; workspace?: string; access?: 'read' | 'full' },
): Promise<{ status: number; body: any; redirect: URL | null }> {
  const res = await fetch(`${baseUrl}/oauth/consent`, {
    method: 'POST',
    headers: { cookie, origin: baseUrl, 'content-type': 'application/json' },
    body: JSON.stringify({ request, decision: answer.decision ?? 'allow', ...(answer.workspace ? { workspace: answer.workspace } : {}), ...(answer.access ? { access: answer.access } : {}) }),
  });
  const body = await res.json();
  return { status: res.status, body, redirect: res.ok ? new URL(body.redirect) : null };
}

/** Signs in with a password; returns the session cookie (`kith_session=…`). */
export async function passwordCookie(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: { origin: baseUrl, 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  assert.equal(res.status, 200, await res.text());
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('kith_session='));
  assert.ok(cookie);
  return cookie.split(';')[0];
}
