/**
 * Where webhooks and automation HTTP steps may send (SPEC §3): http(s) URLs only, and never to
 * loopback, private, link-local or other non-public addresses unless the server's operator allows
 * it (`KITH_WEBHOOK_ALLOW_PRIVATE=1`). A URL is checked when it is saved (its form, and literal
 * addresses) and again at every delivery after resolving its host, so a name that later resolves
 * to a private address (DNS rebinding) is still refused; the delivery then connects to the address
 * that was checked.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { invalid } from '../errors.js';

/** Address ranges that are not the public internet (IANA special-purpose registries). */
const NON_PUBLIC = (() => {
  const list = new net.BlockList();
  for (const [prefix, bits] of [
    ['0.0.0.0', 8], // "this network"
    ['10.0.0.0', 8],
    ['100.64.0.0', 10], // carrier-grade NAT
    ['127.0.0.0', 8],
    ['169.254.0.0', 16], // link-local, cloud metadata
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24], // documentation
    ['192.168.0.0', 16],
    ['198.18.0.0', 15], // benchmarking
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, broadcast
  ] as const)
    list.addSubnet(prefix, bits, 'ipv4');
  for (const [prefix, bits] of [
    ['::', 128],
    ['::1', 128],
    ['64:ff9b::', 96], // NAT64 (embeds IPv4)
    ['100::', 64], // discard
    ['2001:db8::', 32], // documentation
    ['fc00::', 7], // unique local
    ['fe80::', 10], // link-local
    ['ff00::', 8], // multicast
  ] as const)
    list.addSubnet(prefix, bits, 'ipv6');
  return list;
})();

/** True for an IP address that is not on the public internet (IPv4-mapped IPv6 by its IPv4). */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return isNonPublicAddress(mapped[1]);
  const family = net.isIP(bare);
  if (family === 0) return false;
  return NON_PUBLIC.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

export interface TargetPolicy {
  /** Loopback and private targets allowed (KITH_WEBHOOK_ALLOW_PRIVATE=1). */
  allowPrivate: boolean;
}

export function targetPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): TargetPolicy {
  return { allowPrivate: env.KITH_WEBHOOK_ALLOW_PRIVATE === '1' };
}

const PRIVATE_HINT = 'loopback and private addresses are refused unless the server allows them (KITH_WEBHOOK_ALLOW_PRIVATE=1)';

/**
 * Checks a target URL as it is saved; throws a validation error naming `field`. Returns the
 * normalized URL. Host names are resolved only at delivery (`resolveTarget`).
 */
export function checkTargetUrl(value: unknown, policy: TargetPolicy, field = 'url'): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, 'must be an http(s) URL');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalid(field, 'must be an absolute http(s) URL, e.g. https://example.com/hooks/kith');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(field, `must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.username || url.password) throw invalid(field, 'must not contain a user name or password (send credentials in a header)');
  if (value.length > 2048) throw invalid(field, 'must be at most 2048 characters');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && (isNonPublicAddress(host) || /^localhost$|\.localhost$/i.test(host))) throw invalid(field, `${host} is not a public address: ${PRIVATE_HINT}`);
  return url.toString();
}

export type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/**
 * Resolves a saved target's host for a delivery: the address to connect to, or a refusal when
 * any address it resolves to is not public (and the policy does not allow it).
 */
export async function resolveTarget(urlText: string, policy: TargetPolicy, lookup: Lookup = systemLookup): Promise<{ url: URL; address: string; family: number }> {
  const url = new URL(checkTargetUrl(urlText, policy));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = net.isIP(host);
  const addresses = literal ? [{ address: host, family: literal }] : await lookup(host);
  if (addresses.length === 0) throw invalid('url', `${host} does not resolve to any address`);
  if (!policy.allowPrivate) {
    const bad = addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) throw invalid('url', `${host} resolves to ${bad.address}, which is not a public address: ${PRIVATE_HINT}`);
  }
  return { url, address: addresses[0].address, family: addresses[0].family };
}
