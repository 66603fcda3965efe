/**
 * The client's implementation of the entity rules' read port (shared/entities/entity.ts
 * `RecordReader`) over the local RxDB database: the records this client has (RxDB never returns
 * deleted documents; archived ones are included, as on the server).
 */
import type { RxDatabase, RxDocument } from 'rxdb';
import type { CollectionName, RecordOf } from '../../shared/collections.js';
import type { FieldDefinition } from '../../shared/customFields.js';
import type { RecordReader } from '../../shared/rules.js';

/** A document's fields without RxDB's bookkeeping (`_rev`, `_meta`, …). */
function fields<T>(doc: RxDocument<any>): T {
  const json = doc.toJSON() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (!k.startsWith('_')) out[k] = v;
  return out as T;
}

const byPositionThenId = (a: { position: number; id: string }, b: { position: number; id: string }) => a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class RxRecordReader implements RecordReader {
  constructor(private readonly db: RxDatabase) {}

  async find<C extends CollectionName>(collection: C, id: string): Promise<RecordOf<C> | null> {
    const doc = await this.db.collections[collection].findOne(id).exec();
    return doc ? fields<RecordOf<C>>(doc) : null;
  }

  async stagesOf(pipelineId: string): Promise<RecordOf<'stages'>[]> {
    const docs = await this.db.collections.stages.find({ selector: { pipelineId } }).exec();
    return docs.map((d) => fields<RecordOf<'stages'>>(d)).sort(byPositionThenId);
  }

  async defaultPipeline(): Promise<RecordOf<'pipelines'> | null> {
    const all = await this.pipelines();
    return all.find((p) => p.isDefault) ?? all[0] ?? null;
  }

  async pipelines(): Promise<RecordOf<'pipelines'>[]> {
    const docs = await this.db.collections.pipelines.find().exec();
    return docs.map((d) => fields<RecordOf<'pipelines'>>(d)).sort(byPositionThenId);
  }

  async dealContact(dealId: string, personId: string): Promise<RecordOf<'dealContacts'> | null> {
    const doc = await this.db.collections.dealContacts.findOne({ selector: { dealId, personId } }).exec();
    return doc ? fields<RecordOf<'dealContacts'>>(doc) : null;
  }

  async customFields(entity: string): Promise<FieldDefinition[]> {
    const docs = await this.db.collections.fields.find({ selector: { entity } }).exec();
    return docs.map((d) => fields<FieldDefinition>(d)).sort(byPositionThenId);
  }

  async objectTypes(): Promise<RecordOf<'objectTypes'>[]> {
    const docs = await this.db.collections.objectTypes.find().exec();
    return docs.map((d) => fields<RecordOf<'objectTypes'>>(d)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async countDeals(field: 'pipelineId' | 'stageId', id: string): Promise<number> {
    // counted from the documents: RxDB refuses count() on queries its indexes do not fully cover
    return (await this.db.collections.deals.find({ selector: { [field]: id } }).exec()).length;
  }
}
