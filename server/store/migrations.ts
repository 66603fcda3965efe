/**
 * Versioned schema migrations, run at start by Kysely's migrator. SQLite dialect; the PostgreSQL
 * store carries the same list under the same names (server/store/pg/migrations.ts, its twins made
 * from the statement lists exported here): a migration added here needs its twin there (a unit
 * test compares the names).
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { computedMigration, sendComputedToClients } from './computed.js';
import { ensureCustomIndexes, remakeCustomIndexes } from './customIndexes.js';
import type { Db } from './database.js';

/** Columns every replicated CRM record has. */
const RECORD_COLUMNS = `
  "id" TEXT PRIMARY KEY NOT NULL,
  "workspaceId" TEXT NOT NULL,
  "createdAt" TEXT NOT NULL,
  "updatedAt" TEXT NOT NULL,
  "version" INTEGER NOT NULL,
  "archivedAt" TEXT,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "custom" TEXT NOT NULL DEFAULT '{}'`;

function recordTable(name: string, columns: string, indexes: string[][]): string[] {
  const statements = [
    `CREATE TABLE "${name}" (${RECORD_COLUMNS},${columns})`,
    `CREATE INDEX "${name}_sync" ON "${name}" ("workspaceId", "version")`,
    `CREATE INDEX "${name}_created" ON "${name}" ("workspaceId", "createdAt", "id")`,
    `CREATE INDEX "${name}_updated" ON "${name}" ("workspaceId", "updatedAt", "id")`,
  ];
  for (const cols of indexes) {
    statements.push(`CREATE INDEX "${name}_${cols.join('_')}" ON "${name}" ("workspaceId", ${cols.map((c) => `"${c}"`).join(', ')}, "id")`);
  }
  return statements;
}

export const initial: string[] = [
  `CREATE TABLE "changeSequence" ("id" INTEGER PRIMARY KEY CHECK ("id" = 1), "value" INTEGER NOT NULL)`,
  `INSERT INTO "changeSequence" ("id", "value") VALUES (1, 0)`,
  `CREATE TABLE "users" (
    "id" TEXT PRIMARY KEY NOT NULL, "email" TEXT NOT NULL UNIQUE COLLATE NOCASE, "name" TEXT NOT NULL,
    "platformRole" TEXT NOT NULL DEFAULT 'USER', "createdAt" TEXT NOT NULL)`,
  `CREATE TABLE "workspaces" (
    "id" TEXT PRIMARY KEY NOT NULL, "slug" TEXT NOT NULL UNIQUE, "name" TEXT NOT NULL,
    "defaultCurrency" TEXT NOT NULL DEFAULT 'USD', "features" TEXT NOT NULL DEFAULT '{"crm.core":true}',
    "createdAt" TEXT NOT NULL)`,
  `CREATE TABLE "memberships" (
    "workspaceId" TEXT NOT NULL REFERENCES "workspaces"("id"), "userId" TEXT NOT NULL REFERENCES "users"("id"),
    "role" TEXT NOT NULL, "createdAt" TEXT NOT NULL, PRIMARY KEY ("workspaceId", "userId"))`,
  `CREATE INDEX "memberships_user" ON "memberships" ("userId")`,
  `CREATE TABLE "apiKeys" (
    "id" TEXT PRIMARY KEY NOT NULL, "userId" TEXT NOT NULL REFERENCES "users"("id"), "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL, "hash" TEXT NOT NULL UNIQUE, "workspaceId" TEXT REFERENCES "workspaces"("id"),
    "readOnly" INTEGER NOT NULL DEFAULT 0, "expiresAt" TEXT, "revokedAt" TEXT, "lastUsedAt" TEXT,
    "createdAt" TEXT NOT NULL)`,
  `CREATE INDEX "apiKeys_user" ON "apiKeys" ("userId")`,
  ...recordTable('organizations', `"name" TEXT NOT NULL, "website" TEXT, "domain" TEXT, "notes" TEXT, "labels" TEXT NOT NULL DEFAULT '[]', "ownerId" TEXT`, [['name'], ['domain']]),
  ...recordTable(
    'people',
    `"name" TEXT NOT NULL, "email" TEXT, "phone" TEXT, "title" TEXT, "organizationId" TEXT, "notes" TEXT,
     "labels" TEXT NOT NULL DEFAULT '[]', "ownerId" TEXT`,
    [['name'], ['email'], ['organizationId']],
  ),
  ...recordTable('pipelines', `"name" TEXT NOT NULL, "isDefault" INTEGER NOT NULL DEFAULT 0, "position" INTEGER NOT NULL DEFAULT 0`, [['position']]),
  ...recordTable('stages', `"pipelineId" TEXT NOT NULL, "name" TEXT NOT NULL, "position" INTEGER NOT NULL, "probability" REAL`, [['pipelineId', 'position']]),
  ...recordTable(
    'deals',
    `"title" TEXT NOT NULL, "organizationId" TEXT, "primaryPersonId" TEXT, "pipelineId" TEXT NOT NULL, "stageId" TEXT NOT NULL,
     "amount" INTEGER, "currency" TEXT NOT NULL, "valuePeriod" TEXT NOT NULL DEFAULT 'one_time', "probability" REAL,
     "expectedCloseDate" TEXT, "status" TEXT NOT NULL DEFAULT 'open', "wonAt" TEXT, "lostAt" TEXT, "lostReason" TEXT,
     "linkedProjectId" TEXT, "notes" TEXT, "labels" TEXT NOT NULL DEFAULT '[]', "ownerId" TEXT`,
    [['pipelineId', 'stageId'], ['stageId'], ['organizationId'], ['primaryPersonId'], ['status'], ['title']],
  ),
  ...recordTable('dealContacts', `"dealId" TEXT NOT NULL, "personId" TEXT NOT NULL, "role" TEXT`, [['dealId'], ['personId']]),
  ...recordTable(
    'activities',
    `"type" TEXT NOT NULL, "subject" TEXT, "body" TEXT, "organizationId" TEXT, "personId" TEXT, "dealId" TEXT,
     "actorId" TEXT, "occurredAt" TEXT NOT NULL, "dueAt" TEXT, "completedAt" TEXT, "linkedTaskId" TEXT`,
    [['dealId', 'occurredAt'], ['personId', 'occurredAt'], ['organizationId', 'occurredAt'], ['type', 'dueAt'], ['occurredAt']],
  ),
  ...recordTable(
    'stageChanges',
    `"dealId" TEXT NOT NULL, "pipelineId" TEXT NOT NULL, "fromStageId" TEXT, "toStageId" TEXT NOT NULL, "amount" INTEGER,
     "currency" TEXT NOT NULL, "changedAt" TEXT NOT NULL, "actorId" TEXT, "source" TEXT NOT NULL`,
    [['dealId', 'changedAt'], ['pipelineId']],
  ),
  `CREATE TABLE "auditEntries" (
    "seq" INTEGER PRIMARY KEY AUTOINCREMENT, "id" TEXT NOT NULL UNIQUE, "workspaceId" TEXT NOT NULL,
    "entityType" TEXT NOT NULL, "entityId" TEXT NOT NULL, "action" TEXT NOT NULL, "before" TEXT, "after" TEXT,
    "changedFields" TEXT NOT NULL DEFAULT '[]', "detail" TEXT, "actorUserId" TEXT, "actorKeyId" TEXT,
    "source" TEXT NOT NULL, "at" TEXT NOT NULL)`,
  `CREATE INDEX "auditEntries_entity" ON "auditEntries" ("workspaceId", "entityType", "entityId", "seq")`,
  `CREATE INDEX "auditEntries_action" ON "auditEntries" ("workspaceId", "action", "seq")`,
  `CREATE INDEX "auditEntries_workspace" ON "auditEntries" ("workspaceId", "seq")`,
];

/** People sign in (SPEC §1): passwords, sessions, one-time setup and reset links, invites. */
export const accountsAuth: string[] = [
  `ALTER TABLE "users" ADD COLUMN "passwordHash" TEXT`,
  `CREATE TABLE "sessions" (
    "id" TEXT PRIMARY KEY NOT NULL, "userId" TEXT NOT NULL REFERENCES "users"("id"), "tokenHash" TEXT NOT NULL UNIQUE,
    "createdAt" TEXT NOT NULL, "expiresAt" TEXT NOT NULL, "lastUsedAt" TEXT NOT NULL, "userAgent" TEXT, "address" TEXT)`,
  `CREATE INDEX "sessions_user" ON "sessions" ("userId")`,
  `CREATE TABLE "userTokens" (
    "id" TEXT PRIMARY KEY NOT NULL, "userId" TEXT NOT NULL REFERENCES "users"("id"), "purpose" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL UNIQUE, "createdBy" TEXT, "createdAt" TEXT NOT NULL, "expiresAt" TEXT NOT NULL, "usedAt" TEXT)`,
  `CREATE TABLE "invites" (
    "id" TEXT PRIMARY KEY NOT NULL, "workspaceId" TEXT NOT NULL REFERENCES "workspaces"("id"), "email" TEXT NOT NULL COLLATE NOCASE,
    "role" TEXT NOT NULL, "tokenHash" TEXT NOT NULL UNIQUE, "createdBy" TEXT, "createdAt" TEXT NOT NULL, "expiresAt" TEXT NOT NULL,
    "revokedAt" TEXT, "acceptedAt" TEXT, "acceptedBy" TEXT)`,
  `CREATE INDEX "invites_workspace" ON "invites" ("workspaceId", "createdAt")`,
];

/**
 * Custom fields, custom object types and their records (SPEC §2, §5 `fields`, `objectTypes`,
 * `records`): replicated record tables like the others. A field key is unique per entity among live
 * definitions (archived ones included: archiving keeps the key and the values).
 */
export const customSchema: string[] = [
  ...recordTable(
    'fields',
    `"entity" TEXT NOT NULL, "key" TEXT NOT NULL, "label" TEXT NOT NULL, "type" TEXT NOT NULL, "options" TEXT NOT NULL DEFAULT '[]',
     "referenceTo" TEXT, "required" INTEGER NOT NULL DEFAULT 0, "position" INTEGER NOT NULL DEFAULT 0`,
    [['entity', 'position']],
  ),
  `CREATE UNIQUE INDEX "fields_key" ON "fields" ("workspaceId", "entity", "key") WHERE "deleted" = 0`,
  ...recordTable('objectTypes', `"key" TEXT NOT NULL, "singular" TEXT NOT NULL, "plural" TEXT NOT NULL, "icon" TEXT, "primaryField" TEXT NOT NULL DEFAULT 'name'`, [['key']]),
  ...recordTable('records', `"type" TEXT NOT NULL, "name" TEXT NOT NULL, "labels" TEXT NOT NULL DEFAULT '[]', "ownerId" TEXT`, [['type', 'name']]),
];

/**
 * Webhooks (SPEC §3): endpoints per workspace and the durable outbox of deliveries, written in the
 * same transaction as the change it announces. `seq` orders an endpoint's deliveries; times the
 * dispatcher compares (`nextAttemptAt`, `firstAttemptAt`) are epoch milliseconds.
 */
export const webhooks: string[] = [
  `CREATE TABLE "webhookEndpoints" (
    "id" TEXT PRIMARY KEY NOT NULL, "workspaceId" TEXT NOT NULL REFERENCES "workspaces"("id"), "url" TEXT NOT NULL,
    "events" TEXT NOT NULL, "active" INTEGER NOT NULL DEFAULT 1, "description" TEXT, "secret" TEXT NOT NULL,
    "failingSince" TEXT, "lastError" TEXT, "createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL)`,
  `CREATE INDEX "webhookEndpoints_workspace" ON "webhookEndpoints" ("workspaceId", "active")`,
  `CREATE TABLE "webhookDeliveries" (
    "seq" INTEGER PRIMARY KEY AUTOINCREMENT, "id" TEXT NOT NULL UNIQUE, "workspaceId" TEXT NOT NULL, "endpointId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL, "eventType" TEXT NOT NULL, "payload" TEXT NOT NULL, "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0, "firstAttemptAt" INTEGER, "nextAttemptAt" INTEGER NOT NULL, "lastStatus" INTEGER,
    "lastError" TEXT, "lastAttemptAt" TEXT, "deliveredAt" TEXT, "createdAt" TEXT NOT NULL)`,
  `CREATE INDEX "webhookDeliveries_endpoint" ON "webhookDeliveries" ("endpointId", "state", "seq")`,
  `CREATE INDEX "webhookDeliveries_pending" ON "webhookDeliveries" ("endpointId", "seq") WHERE "state" = 'pending'`,
];

/**
 * OAuth 2.1 for remote MCP clients (SPEC §1): registered clients, pending authorization requests
 * (between /oauth/authorize and the consent page), grants (a person's consent: one client, one
 * workspace, a scope) and their codes, access and refresh tokens. Secrets and tokens are stored
 * as SHA-256 hashes only.
 */
export const oauth: string[] = [
  `CREATE TABLE "oauthClients" (
    "id" TEXT PRIMARY KEY NOT NULL, "name" TEXT, "secretHash" TEXT, "secretExpiresAt" INTEGER, "metadata" TEXT NOT NULL,
    "createdAt" TEXT NOT NULL)`,
  `CREATE TABLE "oauthRequests" (
    "tokenHash" TEXT PRIMARY KEY NOT NULL, "clientId" TEXT NOT NULL REFERENCES "oauthClients"("id"), "redirectUri" TEXT NOT NULL,
    "codeChallenge" TEXT NOT NULL, "state" TEXT, "scope" TEXT NOT NULL, "resource" TEXT NOT NULL, "createdAt" TEXT NOT NULL,
    "expiresAt" TEXT NOT NULL)`,
  `CREATE TABLE "oauthGrants" (
    "id" TEXT PRIMARY KEY NOT NULL, "clientId" TEXT NOT NULL REFERENCES "oauthClients"("id"), "userId" TEXT NOT NULL REFERENCES "users"("id"),
    "workspaceId" TEXT NOT NULL REFERENCES "workspaces"("id"), "scope" TEXT NOT NULL, "resource" TEXT NOT NULL, "createdAt" TEXT NOT NULL,
    "lastUsedAt" TEXT, "revokedAt" TEXT, "revokedReason" TEXT)`,
  `CREATE INDEX "oauthGrants_user" ON "oauthGrants" ("userId", "createdAt")`,
  `CREATE INDEX "oauthGrants_member" ON "oauthGrants" ("workspaceId", "userId")`,
  `CREATE TABLE "oauthTokens" (
    "tokenHash" TEXT PRIMARY KEY NOT NULL, "grantId" TEXT NOT NULL REFERENCES "oauthGrants"("id"), "kind" TEXT NOT NULL,
    "scope" TEXT NOT NULL, "codeChallenge" TEXT, "redirectUri" TEXT, "createdAt" TEXT NOT NULL, "expiresAt" TEXT NOT NULL, "usedAt" TEXT)`,
  `CREATE INDEX "oauthTokens_grant" ON "oauthTokens" ("grantId", "kind")`,
];

/**
 * Automations (SPEC §3): definitions per workspace, step secrets (write-only), and the runs, which
 * are also the durable queue: a record event's runs are inserted by the audit write in the same
 * transaction as the change, a daily schedule's when it is claimed (`lastScheduledDay`, one claim
 * per automation and day). Times the dispatcher compares are epoch milliseconds.
 */
export const automations: string[] = [
  `CREATE TABLE "automations" (
    "id" TEXT PRIMARY KEY NOT NULL, "workspaceId" TEXT NOT NULL REFERENCES "workspaces"("id"), "name" TEXT NOT NULL,
    "active" INTEGER NOT NULL DEFAULT 1, "triggerKind" TEXT NOT NULL, "trigger" TEXT NOT NULL, "conditions" TEXT NOT NULL DEFAULT '[]',
    "steps" TEXT NOT NULL, "createdBy" TEXT, "lastScheduledDay" TEXT, "createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL)`,
  `CREATE INDEX "automations_workspace" ON "automations" ("workspaceId", "active", "triggerKind")`,
  `CREATE TABLE "automationSecrets" (
    "workspaceId" TEXT NOT NULL REFERENCES "workspaces"("id"), "name" TEXT NOT NULL, "value" TEXT NOT NULL,
    "createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL, PRIMARY KEY ("workspaceId", "name"))`,
  `CREATE TABLE "automationRuns" (
    "seq" INTEGER PRIMARY KEY AUTOINCREMENT, "id" TEXT NOT NULL UNIQUE, "workspaceId" TEXT NOT NULL, "automationId" TEXT NOT NULL,
    "trigger" TEXT NOT NULL, "eventType" TEXT, "collection" TEXT NOT NULL, "recordId" TEXT NOT NULL, "payload" TEXT NOT NULL,
    "depth" INTEGER NOT NULL DEFAULT 1, "state" TEXT NOT NULL DEFAULT 'pending', "stepIndex" INTEGER NOT NULL DEFAULT 0,
    "steps" TEXT NOT NULL DEFAULT '[]', "response" TEXT, "attempts" INTEGER NOT NULL DEFAULT 0, "firstAttemptAt" INTEGER,
    "nextAttemptAt" INTEGER NOT NULL, "claimedUntil" INTEGER, "note" TEXT, "error" TEXT, "createdAt" TEXT NOT NULL,
    "startedAt" TEXT, "finishedAt" TEXT)`,
  `CREATE INDEX "automationRuns_automation" ON "automationRuns" ("automationId", "seq")`,
  `CREATE INDEX "automationRuns_pending" ON "automationRuns" ("nextAttemptAt", "seq") WHERE "state" = 'pending'`,
];

/**
 * Merges and bulk operations (SPEC §3): every audit entry of one carries its operation id (an
 * index column, so an undo finds them), and each operation is a row saying what it was and
 * whether it was undone.
 */
export const mergeBulk: string[] = [
  `ALTER TABLE "auditEntries" ADD COLUMN "operationId" TEXT`,
  `CREATE INDEX "auditEntries_operation" ON "auditEntries" ("workspaceId", "operationId", "seq") WHERE "operationId" IS NOT NULL`,
  `CREATE TABLE "operations" (
    "id" TEXT PRIMARY KEY NOT NULL, "workspaceId" TEXT NOT NULL REFERENCES "workspaces"("id"), "kind" TEXT NOT NULL,
    "collection" TEXT NOT NULL, "action" TEXT NOT NULL, "actorUserId" TEXT, "source" TEXT NOT NULL, "undoOf" TEXT,
    "undoneBy" TEXT, "createdAt" TEXT NOT NULL)`,
];

/**
 * Imports (SPEC §3, issue 13): a session per validated file (state, counts, the commit's durable
 * progress and lease) and its rows with their planned outcome, the input the commit writes and the
 * errors by column. A commit writes rows in chunks, each chunk's records and its `committed` marks
 * in one transaction; a commit cut short by a crash is resumed from the first unmarked row.
 */
export const imports: string[] = [
  `CREATE TABLE "imports" (
    "id" TEXT PRIMARY KEY NOT NULL, "workspaceId" TEXT NOT NULL REFERENCES "workspaces"("id"), "entity" TEXT NOT NULL,
    "type" TEXT, "mode" TEXT NOT NULL, "match" TEXT NOT NULL, "state" TEXT NOT NULL, "rowsMode" TEXT, "total" INTEGER NOT NULL,
    "counts" TEXT NOT NULL, "plan" TEXT NOT NULL DEFAULT '{}', "done" INTEGER NOT NULL DEFAULT 0, "leaseUntil" INTEGER,
    "error" TEXT, "actor" TEXT NOT NULL, "createdAt" TEXT NOT NULL, "expiresAt" TEXT NOT NULL, "committedAt" TEXT)`,
  `CREATE INDEX "imports_workspace" ON "imports" ("workspaceId", "createdAt")`,
  `CREATE INDEX "imports_state" ON "imports" ("state")`,
  `CREATE TABLE "importRows" (
    "importId" TEXT NOT NULL REFERENCES "imports"("id") ON DELETE CASCADE, "row" INTEGER NOT NULL, "outcome" TEXT NOT NULL,
    "targetId" TEXT, "input" TEXT, "errors" TEXT, "committed" INTEGER NOT NULL DEFAULT 0, PRIMARY KEY ("importId", "row"))`,
  `CREATE INDEX "importRows_outcome" ON "importRows" ("importId", "outcome", "row")`,
];

/**
 * Saved views (SPEC §6, issue 15): a replicated collection like the others (shared/entities/views.ts),
 * with its owner and whether it is shared with the workspace.
 */
export const views: string[] = recordTable(
  'views',
  `"name" TEXT NOT NULL, "table" TEXT NOT NULL, "filters" TEXT NOT NULL DEFAULT '{}', "sort" TEXT NOT NULL DEFAULT '[]',
   "columns" TEXT NOT NULL DEFAULT '[]', "shared" INTEGER NOT NULL DEFAULT 0, "ownerId" TEXT`,
  [['table']],
).map((statement) => statement.replace(`,\n  "custom" TEXT NOT NULL DEFAULT '{}'`, '')); // views have no custom fields

/**
 * Hosted MCP sessions (issue 17): a row per open session, so any server process on one database can
 * answer a request of a session another one opened (server/mcp/http.ts rebuilds the transport from
 * the row's initialize parameters). `lastSeen` is epoch milliseconds; idle rows are deleted.
 */
export const mcpSessions: string[] = [
  `CREATE TABLE "mcpSessions" (
    "id" TEXT PRIMARY KEY NOT NULL, "credential" TEXT NOT NULL, "userId" TEXT NOT NULL, "workspaceId" TEXT NOT NULL,
    "init" TEXT NOT NULL, "createdAt" INTEGER NOT NULL, "lastSeen" INTEGER NOT NULL)`,
  `CREATE INDEX "mcpSessions_credential" ON "mcpSessions" ("credential")`,
  `CREATE INDEX "mcpSessions_lastSeen" ON "mcpSessions" ("lastSeen")`,
];

/**
 * Webhook endpoints are claimed by the process sending to them (issue 17): `claimedUntil` (epoch
 * milliseconds) is a lease, so with several server processes on one database each endpoint's
 * deliveries go out from one process at a time, in order, once each (a crashed process's lease
 * runs out and another takes over).
 */
export const webhookClaims: string[] = [`ALTER TABLE "webhookEndpoints" ADD COLUMN "claimedUntil" INTEGER`];

/**
 * Partial indexes of live deals (not deleted, not archived: what every list reads unless it asks
 * for archived ones; the list query writes `deleted = 0` as a literal so the planner may use them),
 * for the filtered lists of issue 12 over 100,000 deals (bench/query.ts): each ends with "id" for
 * keyset pages and carries "deleted" and "archivedAt" so that `count=true` reads the index alone.
 */
export const liveIndexes: string[] = [['status', 'currency', 'amount'], ['stageId', 'expectedCloseDate'], ['createdAt'], ['lastActivityAt'], ['nextFollowUpAt'], ['stageEnteredAt']].map(
  (columns) =>
    `CREATE INDEX "deals_live_${columns.join('_')}" ON "deals" ("workspaceId", ${columns.map((c) => `"${c}"`).join(', ')}, "id", "deleted", "archivedAt") WHERE "deleted" = 0 AND "archivedAt" IS NULL`,
);

function run(statements: string[]): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  };
}

/** Computed fields (SPEC §2) with their backfill, and the expression indexes of the custom fields defined so far. */
const computed: Migration = {
  async up(db: Kysely<unknown>) {
    await run(computedMigration()).up(db);
    await ensureCustomIndexes(db as Db);
  },
};

/** The live deal indexes, and the custom field indexes made again in their current form (customIndexes.ts). */
const listIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await run(liveIndexes).up(db);
    await remakeCustomIndexes(db as Db);
  },
};

export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': run(initial),
  '0002_custom_schema': run(customSchema),
  '0003_accounts_auth': run(accountsAuth),
  '0004_webhooks': run(webhooks),
  // 0006 is left to work in progress beside automations (Kysely runs migrations in name order)
  '0007_automations': run(automations),
  '0005_oauth': run(oauth),
  '0008_import': run(imports),
  '0009_merge_bulk': run(mergeBulk),
  // computed fields (SPEC §2): columns, indexes and a backfill (server/store/computed.ts)
  '0010_computed': computed,
  '0011_views': run(views),
  '0012_mcp_sessions': run(mcpSessions),
  // the values 0010 filled in reach clients that held the records (server/store/computed.ts)
  '0013_computed_versions': { up: sendComputedToClients },
  '0014_webhook_claims': run(webhookClaims),
  '0015_list_indexes': listIndexes,
  // PostgreSQL's custom field indexes (customIndexes.ts); SQLite has had them since 0010 (IF NOT EXISTS: nothing to do)
  '0016_pg_custom_indexes': { up: (db: Kysely<unknown>) => ensureCustomIndexes(db as Db) },
};
