/**
 * Hosted MCP sessions as rows (table `mcpSessions`, issue 17): who opened a session (its
 * credential, `k:<key id>` or `g:<grant id>`), its workspace, the parameters of its `initialize`
 * (so another server process can rebuild the session's transport) and when it was last used.
 * The rows are the truth shared by every process on one database; each process keeps the live
 * transports of the sessions it has served in memory (server/mcp/http.ts).
 *
 * Rows are written outside the change sequence (they are not records: nothing syncs them), like
 * the last-use stamps of grants and sign-in sessions.
 */
import type { Db } from '../../store/database.js';

export interface McpSessionRow {
  id: string;
  credential: string;
  userId: string;
  workspaceId: string;
  /** The `params` of the session's initialize request (protocol version, capabilities, client info). */
  init: Record<string, unknown>;
  createdAt: number;
  lastSeen: number;
}

export class McpSessions {
  constructor(private readonly db: Db) {}

  /** Open sessions in all: of one credential, and of everyone. */
  async counts(credential: string): Promise<{ held: number; total: number }> {
    const row = await this.db
      .selectFrom('mcpSessions')
      .select((eb) => [eb.fn.countAll().as('total'), eb.fn.sum(eb.case().when('credential', '=', credential).then(1).else(0).end()).as('held')])
      .executeTakeFirst();
    return { held: Number(row?.held ?? 0), total: Number(row?.total ?? 0) };
  }

  /**
   * Inserts the row unless its credential already holds `caps.perCredential` sessions or all
   * sessions number `caps.total`; then returns the counts that refused it. Counted and inserted in
   * one write transaction (serialized: PostgreSQL's sequence lock, SQLite's one connection), so
   * processes opening sessions at the same moment cannot pass a cap together.
   */
  async insertWithin(row: McpSessionRow, caps: { perCredential: number; total: number }): Promise<{ held: number; total: number } | null> {
    return this.db.transaction().execute(async (tx) => {
      const counts = await new McpSessions(tx).counts(row.credential);
      if (counts.held >= caps.perCredential || counts.total >= caps.total) return counts;
      await tx
        .insertInto('mcpSessions')
        .values({ ...row, init: JSON.stringify(row.init) })
        .execute();
      return null;
    });
  }

  async find(id: string): Promise<McpSessionRow | null> {
    const row = await this.db.selectFrom('mcpSessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return { ...row, init: JSON.parse(row.init as string), createdAt: Number(row.createdAt), lastSeen: Number(row.lastSeen) } as McpSessionRow;
  }

  /** Which of these sessions still have a row. */
  async existing(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('mcpSessions').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id as string));
  }

  /** Marks sessions used at `at`. */
  async touch(ids: string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('mcpSessions').set({ lastSeen: at }).where('id', 'in', ids).where('lastSeen', '<', at).execute();
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.deleteFrom('mcpSessions').where('id', 'in', ids).execute();
  }

  /** Ends the sessions of credentials no longer usable (a revoked key or grant). */
  async removeCredentials(credentials: string[]): Promise<void> {
    if (credentials.length === 0) return;
    await this.db.deleteFrom('mcpSessions').where('credential', 'in', credentials).execute();
  }

  /** Deletes the sessions unused since `before` (epoch ms). */
  async expire(before: number): Promise<void> {
    await this.db.deleteFrom('mcpSessions').where('lastSeen', '<', before).execute();
  }
}
