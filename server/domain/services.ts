/**
 * The domain services of one store. Every adapter (REST, MCP, sync, CLI) gets this one object.
 */
import { requiredRole } from '../../shared/permissions.js';
import { openStore, type Store, type StoreOptions } from '../store/store.js';
import { AccountService } from './accounts.js';
import { AutomationService } from './automations/service.js';
import { listAudit } from './audit.js';
import { requireWrite, type Ctx } from './context.js';
import { dealHooks } from './entities/deals.js';
import { fieldHooks } from './entities/fields.js';
import { pipelineHooks, reorderStages, stageHooks } from './entities/pipelines.js';
import { parseInput } from './errors.js';
import { RecordService } from './records.js';
import type { EntityHookTable } from './records/scope.js';
import { ObjectService } from './objects.js';
import { ImportService } from './imports/service.js';
import { describeSchema, type SchemaDescription } from './schema.js';
import { ViewService } from './views.js';
import { WebhookService } from './webhooks/service.js';
import { mailerFromEnv, type Mailer } from './mail/mailer.js';
import { targetPolicyFromEnv } from './webhooks/targets.js';
import { StageOrder } from '../../shared/schemas.js';
import { BulkService } from './bulk.js';
import { MergeService } from './merge.js';
import { undoOperation, type UndoResult } from './operations.js';

/** The server-only work of the entities that have some (their rules are shared: shared/entities/). */
export const ENTITY_HOOKS: EntityHookTable = {
  deals: dealHooks,
  pipelines: pipelineHooks,
  stages: stageHooks,
  fields: fieldHooks,
};

export interface Services {
  store: Store;
  records: RecordService;
  accounts: AccountService;
  views: ViewService;
  objects: ObjectService;
  /** Imports: validation sessions and their durable commits (the running server resumes interrupted ones). */
  imports: ImportService;
  audit(ctx: Ctx, query: unknown): ReturnType<typeof listAudit>;
  reorderStages(ctx: Ctx, pipelineId: string, input: unknown): ReturnType<typeof reorderStages>;
  /** Webhook endpoints and their delivery log (the running server sends the outbox). */
  webhooks: WebhookService;
  /** Automations, their runs and step secrets (the running server runs the queue). */
  automations: AutomationService;
  /** The data model: every entity with its standard and custom fields (GET /crm/schema, crm.schema.describe). */
  schema(ctx: Ctx): Promise<SchemaDescription>;
  /** Outgoing mail (invites), when KITH_SMTP_URL configures a server. */
  mail: Mailer;
  /** Duplicates, merges (and their undo) and upserts of people and organizations. */
  merge: MergeService;
  /** Bulk operations over ids or a list filter. */
  bulk: BulkService;
  /** Reverts a merge or bulk operation by its operation id. */
  undoOperation(ctx: Ctx, operationId: string): Promise<UndoResult>;
}

export function createServices(store: Store): Services {
  const records = new RecordService(store, ENTITY_HOOKS);
  return {
    store,
    records,
    accounts: new AccountService(store, records),
    views: new ViewService(records),
    objects: new ObjectService(records),
    imports: new ImportService(records),
    audit: (ctx, query) => listAudit(store.db, ctx, query),
    webhooks: new WebhookService(store.db, targetPolicyFromEnv()),
    automations: new AutomationService(records, targetPolicyFromEnv()),
    schema: (ctx) => describeSchema(store, ctx),
    mail: mailerFromEnv(),
    merge: new MergeService(records),
    bulk: new BulkService(records),
    undoOperation: (ctx, operationId) => undoOperation(records, ctx, operationId),
    reorderStages: async (ctx, pipelineId, input) => {
      const { stageIds } = parseInput(StageOrder, input);
      requireWrite(ctx, requiredRole('stages', 'update') ?? 'OWNER', 'reorder stages');
      return records.transaction(ctx, (s) => reorderStages(s, pipelineId, stageIds));
    },
  };
}

/** Opens the data directory's store and the services over it (the CLI, a direct `kith-mcp`); `services.store.close()` closes it. */
export async function openServices(dataDir: string, options: StoreOptions = {}): Promise<Services> {
  return createServices(await openStore(dataDir, options));
}
