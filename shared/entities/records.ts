/**
 * Records of custom object types (SPEC §2, §5 `records`): one collection for every type, each
 * record naming its `type`; the type's custom fields are validated like any entity's (their
 * definitions have `entity` = the type key).
 */
import { CustomRecord, CustomRecordCreate, CustomRecordUpdate } from '../schemas.js';
import { invalid, MEMBER_WRITES, type EntityDefinition } from './entity.js';

export const records: EntityDefinition<'records', typeof CustomRecord, typeof CustomRecordCreate, typeof CustomRecordUpdate> = {
  name: 'records',
  entityType: 'record',
  label: 'record',
  record: CustomRecord,
  create: CustomRecordCreate,
  update: CustomRecordUpdate,
  fixedFields: ['type'],
  references: {},
  moneyFields: [],
  indexes: ['updatedAt'],
  list: { search: ['name'], sort: ['name'], filter: ['type', 'ownerId'] },
  permissions: MEMBER_WRITES,
  sync: 'pushable',
  rules: {
    create: (_scope, input) => ({ ...input, labels: input.labels ?? [] }),
    async validate(scope, record, before) {
      if (before) return;
      const types = await scope.reader.objectTypes();
      const type = types.find((t) => t.key === record.type);
      if (!type || type.archivedAt) {
        const active = types.filter((t) => !t.archivedAt).map((t) => t.key);
        throw invalid('type', `no object type '${record.type}'${type ? ' (archived)' : ''}; ${active.length ? `the types are ${active.join(', ')}` : 'create one first (POST /crm/objects)'}`);
      }
    },
  },
};
