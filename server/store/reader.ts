/**
 * The server's implementation of the entity rules' read port (shared/entities/entity.ts
 * `RecordReader`): live records of one workspace, read through Kysely on the given connection or
 * transaction, so the rules see the write's own uncommitted changes.
 */
import type { CollectionName, RecordOf } from '../../shared/collections.js';
import type { FieldDefinition } from '../../shared/customFields.js';
import type { RecordReader } from '../../shared/rules.js';
import type { Db, OpenedDatabase } from './database.js';
import { findLive, rowToRecord } from './records.js';
import { memoInTransaction } from './txMemo.js';

export class SqlRecordReader implements RecordReader {
  /**
   * @param db the connection or the write's transaction
   * @param opened the database `db` belongs to: lookups by id outside a transaction then use its
   *   cached prepared statements (see findLive)
   */
  constructor(
    private readonly db: Db,
    private readonly workspaceId: string,
    private readonly opened?: Pick<OpenedDatabase, 'db' | 'dialect' | 'raw' | 'prepare'>,
  ) {}

  private live(collection: CollectionName) {
    return this.db.selectFrom(collection).selectAll().where('workspaceId', '=', this.workspaceId).where('deleted', '=', 0);
  }

  async find<C extends CollectionName>(collection: C, id: string): Promise<RecordOf<C> | null> {
    if (this.opened) return (await findLive(this.opened, this.db, collection, this.workspaceId, id)) as RecordOf<C> | null;
    const row = await this.live(collection).where('id', '=', id).executeTakeFirst();
    return row ? (rowToRecord(collection, row) as RecordOf<C>) : null;
  }

  async stagesOf(pipelineId: string): Promise<RecordOf<'stages'>[]> {
    const rows = await this.live('stages').where('pipelineId', '=', pipelineId).orderBy('position').orderBy('id').execute();
    return rows.map((row) => rowToRecord('stages', row) as RecordOf<'stages'>);
  }

  async defaultPipeline(): Promise<RecordOf<'pipelines'> | null> {
    const row = await this.live('pipelines').orderBy('isDefault', 'desc').orderBy('position').orderBy('id').executeTakeFirst();
    return row ? (rowToRecord('pipelines', row) as RecordOf<'pipelines'>) : null;
  }

  async pipelines(): Promise<RecordOf<'pipelines'>[]> {
    const rows = await this.live('pipelines').orderBy('position').orderBy('id').execute();
    return rows.map((row) => rowToRecord('pipelines', row) as RecordOf<'pipelines'>);
  }

  async dealContact(dealId: string, personId: string): Promise<RecordOf<'dealContacts'> | null> {
    const row = await this.live('dealContacts').where('dealId', '=', dealId).where('personId', '=', personId).executeTakeFirst();
    return row ? (rowToRecord('dealContacts', row) as RecordOf<'dealContacts'>) : null;
  }

  async countDeals(field: 'pipelineId' | 'stageId', id: string): Promise<number> {
    const row = await this.db
      .selectFrom('deals')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspaceId', '=', this.workspaceId)
      .where(field, '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The entity's field definitions, read once per write transaction (see txMemo.ts). */
  customFields(entity: string): Promise<FieldDefinition[]> {
    return memoInTransaction(this.db, `fields:${this.workspaceId}:${entity}`, async () => {
      const rows = await this.live('fields').where('entity', '=', entity).orderBy('position').orderBy('id').execute();
      return rows.map((row) => rowToRecord('fields', row) as unknown as FieldDefinition);
    });
  }

  async objectTypes(): Promise<RecordOf<'objectTypes'>[]> {
    const rows = await this.live('objectTypes').orderBy('key').execute();
    return rows.map((row) => rowToRecord('objectTypes', row) as RecordOf<'objectTypes'>);
  }

  async isMember(userId: string): Promise<boolean> {
    const row = await this.db.selectFrom('memberships').select('userId').where('workspaceId', '=', this.workspaceId).where('userId', '=', userId).executeTakeFirst();
    return row !== undefined;
  }
}
