/**
 * Custom object types and their records, addressed by type key (SPEC §3 `/crm/objects/...`): thin
 * lookups over the record service, which validates, audits and replicates them like any record
 * (shared/entities/objectTypes.ts, records.ts).
 */
import { SqlRecordReader } from '../store/reader.js';
import type { AnyRecord } from '../store/records.js';
import type { Ctx } from './context.js';
import { DomainError, notFound } from './errors.js';
import type { RecordService } from './records.js';

export class ObjectService {
  constructor(private readonly records: RecordService) {}

  /** The object type with this key (archived included), or 404. */
  async type(ctx: Ctx, key: string): Promise<AnyRecord> {
    const found = (await new SqlRecordReader(this.records.store.db, ctx.workspaceId).objectTypes()).find((t) => t.key === key);
    if (!found) throw new DomainError('not_found', `object type '${key}' not found; list them with GET /crm/objects`);
    return found as unknown as AnyRecord;
  }

  /** A record of the type, or 404 (a record of another type is not found here). */
  async record(ctx: Ctx, key: string, id: string): Promise<AnyRecord> {
    await this.type(ctx, key);
    const record = await this.records.find(this.records.store.db, ctx, 'records', id);
    if (!record || record.type !== key) throw notFound(`${key} record`, id);
    return record;
  }
}
