/**
 * Sync digests over the store (see shared/digest.ts): live records of a collection and workspace
 * whose version lies in a range of the change sequence, and the collection's head.
 *
 * No transaction (a write transaction would hold the write lock while 100,000 rows are read): the
 * head is read after the rows. Versions only grow, so when the head still equals what the client
 * expects, no write committed in between and the rows describe that head.
 */
import { sql } from 'kysely';
import type { CollectionName } from '../../shared/collections.js';
import { DigestBuilder, type DigestResponse } from '../../shared/digest.js';
import type { Db } from './database.js';
import { visibleCondition } from './records.js';

async function collectionHead(db: Db, collection: CollectionName, workspaceId: string): Promise<number> {
  const top = await db
    .selectFrom(collection)
    .select(sql<number | null>`max("version")`.as('head'))
    .where('workspaceId', '=', workspaceId)
    .executeTakeFirst();
  return Number(top?.head ?? 0);
}

/** `userId`: whose digest it is — records kept to another user (shared/permissions.ts `visibleTo`) are not theirs to hold. */
export async function collectionDigest(db: Db, collection: CollectionName, workspaceId: string, from: number, to: number | null, userId: string | null = null): Promise<DigestResponse> {
  const upTo = to ?? (await collectionHead(db, collection, workspaceId));
  const builder = new DigestBuilder();
  if (upTo > from) {
    let query = db.selectFrom(collection).select(['id', 'version']).where('workspaceId', '=', workspaceId).where('version', '>', from).where('version', '<=', upTo).where('deleted', '=', 0);
    const visible = visibleCondition(collection, userId);
    if (visible) query = query.where(visible);
    const rows = await query.execute();
    for (const row of rows) builder.add(String(row.id), Number(row.version));
  }
  return { ...builder.digest(), from, to: upTo, head: await collectionHead(db, collection, workspaceId) };
}
