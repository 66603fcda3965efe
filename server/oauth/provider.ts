/**
 * The MCP SDK's `OAuthServerProvider` over Kith's own store (server/domain/accounts/oauth.ts):
 * the SDK's handlers check the protocol (parameters, PKCE S256, client authentication, redirect
 * URIs); this provider answers from the store and turns domain refusals into OAuth errors.
 *
 * Client secrets are stored hashed, while the SDK's client authentication compares the secret a
 * client sends with `client_secret` of the stored client: so `getClient` returns the hash there,
 * and the router hashes the secret a request carries before the SDK compares (router.ts).
 */
import type { Response } from 'express';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import {
  AccessDeniedError,
  InvalidClientMetadataError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidScopeError,
  InvalidTargetError,
  InvalidTokenError,
  type OAuthError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { OAuthClientInformationFull, OAuthTokenRevocationRequest, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { OAuthGrantError, type OAuthClient, type OAuthService } from '../domain/accounts.js';
import { mcpResource, publicOrigin } from '../http/publicUrl.js';

/** Where /oauth/authorize sends the browser: the web app's consent page (the request token in the fragment, out of logs). */
export const CONSENT_PATH = '/consent';

/** The token endpoint's client authentication methods (client_secret_basic is turned into the body form by the router). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];

function oauthError(error: unknown): unknown {
  if (!(error instanceof OAuthGrantError)) return error;
  const classes: Record<OAuthGrantError['error'], new (message: string) => OAuthError> = {
    invalid_request: InvalidRequestError,
    invalid_grant: InvalidGrantError,
    invalid_scope: InvalidScopeError,
    invalid_target: InvalidTargetError,
    invalid_client_metadata: InvalidClientMetadataError,
    access_denied: AccessDeniedError,
  };
  return new classes[error.error](error.message);
}

async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw oauthError(error);
  }
}

/** A stored client as the SDK sees it (`client_secret` is the hash: see the file comment). */
function toSdkClient(client: OAuthClient): OAuthClientInformationFull {
  return {
    ...(client.metadata as OAuthClientInformationFull),
    client_id: client.id,
    client_id_issued_at: client.issuedAt,
    ...(client.secretHash ? { client_secret: client.secretHash, client_secret_expires_at: client.secretExpiresAt ?? 0 } : {}),
  };
}

/** `http://127.0.0.1:4317/mcp` in one spelling, whichever way it was written. */
const normalized = (resource: URL | string) => new URL(resource).href;

export class KithOAuthProvider implements OAuthServerProvider {
  readonly clientsStore: OAuthRegisteredClientsStore;

  constructor(private readonly oauth: OAuthService) {
    this.clientsStore = {
      getClient: async (clientId) => {
        const client = await oauth.getClient(clientId);
        return client ? toSdkClient(client) : undefined;
      },
      registerClient: (client) =>
        translated(async () => {
          const { client_id, client_id_issued_at, client_secret, client_secret_expires_at, ...metadata } = client as OAuthClientInformationFull;
          const method = metadata.token_endpoint_auth_method;
          if (method !== undefined && !CLIENT_AUTH_METHODS.includes(method)) {
            throw new OAuthGrantError('invalid_client_metadata', `token_endpoint_auth_method ${method} is not supported (use one of ${CLIENT_AUTH_METHODS.join(', ')})`);
          }
          const grants = metadata.grant_types ?? ['authorization_code'];
          const unsupported = grants.filter((g) => g !== 'authorization_code' && g !== 'refresh_token');
          if (unsupported.length) throw new OAuthGrantError('invalid_client_metadata', `grant_types ${unsupported.join(', ')} are not supported (authorization_code and refresh_token are)`);
          await oauth.registerClient({
            id: client_id,
            secret: client_secret ?? null,
            secretExpiresAt: client_secret_expires_at ?? null,
            issuedAt: client_id_issued_at ?? Math.floor(Date.now() / 1000),
            metadata: metadata as typeof metadata & { redirect_uris: string[] },
          });
          // the registration answer is the one place the client sees its secret
          return client as OAuthClientInformationFull;
        }),
    };
  }

  /** Checked by the SDK (client, redirect URI, PKCE S256): keep the request and send the browser to the consent page. */
  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    const resource = mcpResource(res.req);
    if (params.resource && normalized(params.resource) !== normalized(resource)) {
      throw new InvalidTargetError(`resource must be ${resource} (this server's MCP endpoint)`);
    }
    const token = await this.oauth.createRequest({
      clientId: client.client_id,
      redirectUri: params.redirectUri,
      codeChallenge: params.codeChallenge,
      state: params.state,
      scopes: params.scopes ?? [],
      resource: normalized(resource),
    });
    res.redirect(302, `${publicOrigin(res.req)}${CONSENT_PATH}#request=${token}`);
  }

  challengeForAuthorizationCode(client: OAuthClientInformationFull, authorizationCode: string): Promise<string> {
    return translated(() => this.oauth.challengeOf(client.client_id, authorizationCode));
  }

  exchangeAuthorizationCode(client: OAuthClientInformationFull, authorizationCode: string, _codeVerifier?: string, redirectUri?: string, resource?: URL): Promise<OAuthTokens> {
    return translated(() => this.oauth.exchangeCode(client.client_id, authorizationCode, redirectUri, resource ? normalized(resource) : undefined));
  }

  exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string, scopes?: string[], resource?: URL): Promise<OAuthTokens> {
    return translated(() => this.oauth.refresh(client.client_id, refreshToken, scopes, resource ? normalized(resource) : undefined));
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const auth = await this.oauth.authenticate(token);
    if ('failure' in auth) throw new InvalidTokenError(`the access token is ${auth.failure}`);
    return {
      token,
      clientId: auth.grant.clientId,
      scopes: auth.grant.scope.split(' '),
      expiresAt: auth.grant.expiresAt,
      resource: new URL(auth.grant.resource),
      extra: { userId: auth.user.id, workspaceId: auth.grant.workspaceId },
    };
  }

  revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    return translated(() => this.oauth.revokeToken(client.client_id, request.token));
  }
}
