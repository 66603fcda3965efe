/**
 * The self-check: a client proves it holds exactly what the server says it must, and heals itself
 * when it does not (docs/sync.md, "Self-check").
 *
 * For a collection whose replication is idle with nothing pending, at pull checkpoint L:
 * 1. digest the local store (count and order-independent hash of `id:version` of live documents,
 *    shared/digest.ts) and ask the server for its digest of live rows up to L. The server also
 *    says its head; only when the head is still L is the comparison conclusive (otherwise the
 *    client is simply behind, and its replication pulls).
 * 2. Different: bisect the sequence range with server digests of halves down to a small range,
 *    and take the lowest one that differs.
 * 3. Re-pull from the start of that range to the head and write every server state the local
 *    store does not hold (missing, wrong version, deleted or alive when it should not be) straight
 *    into storage, marked as replicated — never over a local edit that is not on the server yet.
 *    If the digests still differ, re-pull everything and also remove local documents the server
 *    never had.
 */
import type { RxCollection, RxDatabase } from 'rxdb';
import type { CollectionName } from '../../shared/collections.js';
import { DigestBuilder, rowHash, sameDigest, type Digest, type DigestResponse } from '../../shared/digest.js';
import { PULL_MAX_LIMIT, type PullResponse, type SyncDocument } from '../../shared/sync.js';
import { replicatedMarks } from './marks.js';
import { invalidateRowCache } from './rowCache.js';
import { isStoredDeleted, storedDocuments } from './storedDocuments.js';

/** Ranges of at most this many records (on either side) are not split further. */
const LEAF_RECORDS = 256;

export interface SelfCheckInput {
  db: RxDatabase;
  name: CollectionName;
  /** The replication identifier (for the replicated marks). */
  identifier: string;
  /** The sequence the client's pulls have reached (its checkpoint). */
  checkpoint(): number;
  /** True while the collection has local writes the server has not acknowledged. */
  hasPending(): boolean;
  isPending(id: string): boolean;
  /** GET a /sync path as JSON (throws when the server cannot answer). */
  get<T>(path: string): Promise<T>;
  /**
   * The write context of the replication's downstream: RxDB's upstream pushes every write of the
   * collection it sees on the storage's change stream except those made in this context, so
   * healed states are written in it (they are server states; pushing them back would be wrong).
   */
  writeContext(): Promise<string>;
}

export type SelfCheckResult =
  | { outcome: 'in-sync'; count: number }
  /** Not comparable now (the client is behind, has pending writes, or the server moved on). */
  | { outcome: 'inconclusive'; reason: string }
  | { outcome: 'healed'; from: number; written: number; removed: number; count: number }
  | { outcome: 'diverged'; reason: string };

class Inconclusive extends Error {}

/** Local live documents as (version, hash) sorted by version, with prefix sums for range digests. */
class LocalIndex {
  private readonly versions: number[] = [];
  private readonly sumA: number[] = [0];
  private readonly sumB: number[] = [0];

  constructor(rows: { version: number; a: number; b: number }[]) {
    rows.sort((x, y) => x.version - y.version);
    for (const r of rows) {
      this.versions.push(r.version);
      this.sumA.push((this.sumA[this.sumA.length - 1] + r.a) >>> 0);
      this.sumB.push((this.sumB[this.sumB.length - 1] + r.b) >>> 0);
    }
  }

  /** Index of the first version > v. */
  private upper(v: number): number {
    let lo = 0;
    let hi = this.versions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.versions[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Digest of live documents with from < version ≤ to. */
  digest(from: number, to: number): Digest {
    const i = this.upper(from);
    const j = this.upper(to);
    const a = (this.sumA[j] - this.sumA[i]) >>> 0;
    const b = (this.sumB[j] - this.sumB[i]) >>> 0;
    return { count: j - i, hash: a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0') };
  }
}

async function localIndex(collection: RxCollection<any>): Promise<LocalIndex> {
  const rows: { version: number; a: number; b: number }[] = [];
  // in the background: a table opening meanwhile reads first
  for await (const docs of storedDocuments(collection, { background: true })) {
    for (const doc of docs) {
      if (isStoredDeleted(doc)) continue;
      const [a, b] = rowHash(doc.id, Number(doc.version));
      rows.push({ version: Number(doc.version), a, b });
    }
  }
  return new LocalIndex(rows);
}

/** The local store's digest of the whole collection (for benchmarks and tests). */
export async function localDigest(collection: RxCollection<any>): Promise<Digest> {
  const builder = new DigestBuilder();
  for await (const docs of storedDocuments(collection)) for (const doc of docs) if (!isStoredDeleted(doc)) builder.add(doc.id, Number(doc.version));
  return builder.digest();
}

export async function selfCheck(input: SelfCheckInput): Promise<SelfCheckResult> {
  const { db, name } = input;
  const collection = db.collections[name] as RxCollection<any>;
  const serverDigest = async (from: number, to: number, expectHead: number): Promise<DigestResponse> => {
    const d = await input.get<DigestResponse>(`/sync/${name}/digest?from=${from}&to=${to}`);
    if (d.head !== expectHead) throw new Inconclusive(`the server moved on (head ${d.head}, checkpoint ${expectHead})`);
    return d;
  };

  const compare = async (): Promise<{ head: number; local: LocalIndex; server: DigestResponse } | SelfCheckResult> => {
    if (input.hasPending()) return { outcome: 'inconclusive', reason: 'local writes are not on the server yet' };
    const head = input.checkpoint();
    const local = await localIndex(collection);
    if (input.hasPending() || input.checkpoint() !== head) return { outcome: 'inconclusive', reason: 'the local store changed while it was read' };
    const server = await serverDigest(0, head, head);
    return { head, local, server };
  };

  try {
    const first = await compare();
    if ('outcome' in first) return first;
    const { head, local } = first;
    if (sameDigest(local.digest(0, head), first.server)) return { outcome: 'in-sync', count: first.server.count };

    // bisect for the lowest range that differs
    let from = 0;
    let to = head;
    let serverRange: Digest = first.server;
    while (to - from > 1 && Math.max(serverRange.count, local.digest(from, to).count) > LEAF_RECORDS) {
      const mid = from + Math.floor((to - from) / 2);
      const left = await serverDigest(from, mid, head);
      if (!sameDigest(left, local.digest(from, mid))) {
        to = mid;
        serverRange = left;
      } else {
        from = mid;
        serverRange = await serverDigest(mid, to, head);
      }
    }
    console.warn(`kith sync self-check: ${name} differs from the server from sequence ${from} (local ${local.digest(0, head).count} records, server ${first.server.count}); healing`);

    let written = (await repull(input, from, false)).written;
    let removed = 0;
    let after = await compare();
    if (!('outcome' in after) && !sameDigest(after.local.digest(0, after.head), after.server)) {
      // a local document the ranges cannot explain (e.g. one the server never had): re-pull everything
      const full = await repull(input, 0, true);
      written += full.written;
      removed = full.removed;
      after = await compare();
    }
    if ('outcome' in after) return { outcome: 'healed', from, written, removed, count: first.server.count };
    if (!sameDigest(after.local.digest(0, after.head), after.server)) return { outcome: 'diverged', reason: `still differs after healing (local ${after.local.digest(0, after.head).count}, server ${after.server.count})` };
    return { outcome: 'healed', from, written, removed, count: after.server.count };
  } catch (error) {
    return { outcome: 'inconclusive', reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Re-pulls from `from` to the server's head and writes every server state the local store does
 * not hold. With `removeOrphans` (a pull from 0 sees every id the server ever had), local live
 * documents the server never had are removed.
 */
async function repull(input: SelfCheckInput, from: number, removeOrphans: boolean): Promise<{ written: number; removed: number }> {
  const { db, name } = input;
  const collection = db.collections[name] as RxCollection<any>;
  const instance = collection.internalStorageInstance;
  const marks = await replicatedMarks(db, input.identifier);
  const context = await input.writeContext();
  const seen = new Set<string>();
  let written = 0;
  let sequence = from;
  for (;;) {
    const page = await input.get<PullResponse>(`/sync/${name}/pull?checkpoint=${sequence}&limit=${PULL_MAX_LIMIT}`);
    const docs = page.documents as SyncDocument[];
    if (docs.length === 0) break;
    const stored = new Map<string, any>((await instance.findDocumentsById(docs.map((d) => d.id), true)).map((d: any) => [d.id, d]));
    const rows: { previous?: any; document: any }[] = [];
    for (const doc of docs) {
      seen.add(doc.id);
      if (input.isPending(doc.id)) continue;
      const mine = stored.get(doc.id);
      const deleted = doc._deleted === true;
      if (!mine ? deleted : Number(mine.version) === Number(doc.version) && Boolean(mine._deleted) === deleted) continue;
      rows.push(mine ? { previous: mine, document: marks.document(doc, mine) } : { document: marks.document(doc) });
    }
    if (rows.length > 0) {
      const result = await instance.bulkWrite(rows as any, context);
      // healed documents carry the minimum last-write time: a stored table copy cannot catch up on them
      await invalidateRowCache(collection).catch(() => undefined);
      written += rows.length - result.error.length; // a conflict: written locally meanwhile, the push merges it
    }
    sequence = page.checkpoint?.sequence ?? sequence;
    if (docs.length < PULL_MAX_LIMIT) break;
  }
  let removed = 0;
  if (removeOrphans) {
    for await (const docs of storedDocuments(collection)) {
      const ids = docs.filter((d) => !isStoredDeleted(d) && !seen.has(d.id) && !input.isPending(d.id)).map((d) => d.id);
      if (ids.length === 0) continue;
      const orphans = (await instance.findDocumentsById(ids, false)) as any[];
      const result = await instance.bulkWrite(orphans.map((d) => ({ previous: d, document: marks.document({ ...d, _deleted: true } as SyncDocument, d) })) as any, context);
      await invalidateRowCache(collection).catch(() => undefined); // tombstones with the minimum last-write time
      removed += orphans.length - result.error.length;
    }
  }
  return { written, removed };
}
