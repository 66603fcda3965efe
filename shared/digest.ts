/**
 * Sync digests: a cheap, order-independent summary of which records (by `id` and `version`) a
 * collection holds in a range of the change sequence, computed the same way by the server (over
 * its table) and by a client (over its local store), so a client can prove it holds exactly what
 * the server says it must — and find the range where it does not (SPEC §5, docs/sync.md).
 *
 * The digest of a set of live (not deleted) records is their count and, per record, two
 * independent 32-bit FNV-1a hashes of `id:version`, each summed modulo 2^32; written as 16 hex
 * digits. Sums do not depend on order, so the server and the client may visit rows in any order,
 * and ranges add up.
 */

export interface Digest {
  count: number;
  /** 16 hex digits: the two 32-bit hash sums. */
  hash: string;
}

/** `GET /sync/:collection/digest?from=<a>&to=<b>`: live records with a < version ≤ b. */
export interface DigestResponse extends Digest {
  from: number;
  to: number;
  /** The highest change sequence of the collection in this workspace (tombstones included) when the digest was taken. */
  head: number;
}

/** The two 32-bit hashes of one record state. */
export function rowHash(id: string, version: number): [number, number] {
  const text = `${id}:${version}`;
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = Math.imul(b ^ c, 0x01000193 + 0x2000);
  }
  // final avalanche so that near-identical texts spread over the whole range
  b = Math.imul(b ^ (b >>> 15), 0x2c1b3c6d);
  b ^= b >>> 12;
  return [a >>> 0, b >>> 0];
}

/** Accumulates a digest; add rows in any order. */
export class DigestBuilder {
  count = 0;
  private a = 0;
  private b = 0;

  add(id: string, version: number): void {
    const [x, y] = rowHash(id, version);
    this.addHashes(x, y);
  }

  addHashes(x: number, y: number): void {
    this.count++;
    this.a = (this.a + x) >>> 0;
    this.b = (this.b + y) >>> 0;
  }

  digest(): Digest {
    return { count: this.count, hash: this.a.toString(16).padStart(8, '0') + this.b.toString(16).padStart(8, '0') };
  }
}

export function sameDigest(x: Digest, y: Digest): boolean {
  return x.count === y.count && x.hash === y.hash;
}
