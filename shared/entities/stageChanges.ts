/** Stage changes: the history of deals' stage moves, written by the server when a deal moves; clients read them. */
import { StageChangeRecord } from '../schemas.js';
import { SERVER_WRITES, type EntityDefinition } from './entity.js';

export const stageChanges: EntityDefinition<'stageChanges', typeof StageChangeRecord, null, null> = {
  name: 'stageChanges',
  entityType: 'stageChange',
  label: 'stageChange',
  record: StageChangeRecord,
  create: null,
  update: null,
  fixedFields: [],
  references: { dealId: 'deals', pipelineId: 'pipelines', fromStageId: 'stages', toStageId: 'stages' },
  moneyFields: ['amount'],
  indexes: [['dealId', 'changedAt']],
  list: { search: [], sort: ['changedAt'], filter: ['dealId', 'pipelineId'] },
  permissions: SERVER_WRITES,
  sync: 'pull-only',
  rules: {},
};
