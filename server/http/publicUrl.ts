/**
 * The address clients reach this server at, for what OAuth advertises (issuer, endpoints, the
 * /mcp resource that tokens are bound to): `KITH_PUBLIC_URL` when set (behind a reverse proxy
 * that terminates TLS, e.g. `https://crm.example.com`), else the scheme and Host of the request.
 */
import type { Request } from 'express';

/** `https://crm.example.com` (no trailing slash). */
export function publicOrigin(req: Request): string {
  const configured = process.env.KITH_PUBLIC_URL?.trim();
  if (configured) return new URL(configured).origin;
  return `${req.protocol}://${req.get('host')}`;
}

/** The protected resource OAuth tokens are bound to (RFC 8707): this server's /mcp. */
export function mcpResource(req: Request): string {
  return `${publicOrigin(req)}/mcp`;
}

/** Where /mcp's protected-resource metadata is (RFC 9728 §3.1: the resource's path after the well-known name). */
export function resourceMetadataUrl(req: Request): string {
  return `${publicOrigin(req)}/.well-known/oauth-protected-resource/mcp`;
}

/** OAuth needs https, except on a loopback address (RFC 8252 §8.3; the MCP SDK's own rule). */
export function oauthAvailable(origin: string): boolean {
  const url = new URL(origin);
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}
