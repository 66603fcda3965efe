/**
 * The rules' read port as an import's validation uses it: the store's reader with what does not
 * change during a validation memoized (custom fields, pipelines, stages, object types, members,
 * records looked up by id), and the organizations the import will create (planned, not stored yet)
 * answered as if they were, so rows that name them validate like the commit will.
 */
import type { CollectionName, RecordOf } from '../../../shared/collections.js';
import type { FieldDefinition } from '../../../shared/customFields.js';
import type { RecordReader } from '../../../shared/rules.js';
import type { Row } from '../../store/records.js';

const FIND_CACHE_MAX = 20_000;

export class PlanReader implements RecordReader {
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly found = new Map<string, unknown>();

  constructor(
    private readonly inner: RecordReader,
    /** Organizations the import creates, by id. */
    readonly planned: Map<string, Row>,
  ) {}

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let value = this.memo.get(key) as Promise<T> | undefined;
    if (!value) this.memo.set(key, (value = load()));
    return value;
  }

  async find<C extends CollectionName>(collection: C, id: string): Promise<RecordOf<C> | null> {
    if (collection === 'organizations' && this.planned.has(id)) return this.planned.get(id) as RecordOf<C>;
    const key = `${collection}:${id}`;
    if (this.found.has(key)) return this.found.get(key) as RecordOf<C> | null;
    const record = await this.inner.find(collection, id);
    if (this.found.size > FIND_CACHE_MAX) this.found.clear();
    this.found.set(key, record);
    return record;
  }

  /** Forget a record (the one a row updates: read fresh each time). */
  forget(collection: CollectionName, id: string): void {
    this.found.delete(`${collection}:${id}`);
  }

  stagesOf(pipelineId: string) {
    return this.once(`stages:${pipelineId}`, () => this.inner.stagesOf(pipelineId));
  }
  defaultPipeline() {
    return this.once('defaultPipeline', () => this.inner.defaultPipeline());
  }
  pipelines() {
    return this.once('pipelines', () => this.inner.pipelines());
  }
  dealContact(dealId: string, personId: string) {
    return this.inner.dealContact(dealId, personId);
  }
  countDeals(field: 'pipelineId' | 'stageId', id: string) {
    return this.inner.countDeals(field, id);
  }
  customFields(entity: string): Promise<FieldDefinition[]> {
    return this.once(`fields:${entity}`, () => this.inner.customFields(entity));
  }
  objectTypes() {
    return this.once('objectTypes', () => this.inner.objectTypes());
  }
  isMember(userId: string): Promise<boolean> {
    return this.once(`member:${userId}`, async () => (this.inner.isMember ? this.inner.isMember(userId) : true));
  }
}
