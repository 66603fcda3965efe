/**
 * The replicated CRM collections and what is known about each one's fields. Used by the store
 * (column kinds), the domain (search, sort, filters), sync and the client's RxDB schemas.
 */
import type { z } from 'zod';
import { ActivityRecord, DealContactRecord, DealRecord, OrganizationRecord, PersonRecord, PipelineRecord, StageChangeRecord, StageRecord } from './schemas.js';

export const COLLECTION_NAMES = ['organizations', 'people', 'deals', 'dealContacts', 'activities', 'pipelines', 'stages', 'stageChanges'] as const;
export type CollectionName = (typeof COLLECTION_NAMES)[number];

export function isCollectionName(value: string): value is CollectionName {
  return (COLLECTION_NAMES as readonly string[]).includes(value);
}

export interface CollectionInfo {
  name: CollectionName;
  /** Singular entity type used by the audit log and MCP tools. */
  entityType: string;
  record: z.ZodObject;
  /** Columns stored as JSON text. */
  jsonFields: readonly string[];
  /** Columns stored as 0/1. */
  boolFields: readonly string[];
  /** Columns stored as integer money units (see shared/money.ts). */
  moneyFields: readonly string[];
  /** Fields matched by `q`. */
  searchFields: readonly string[];
  /** Fields a list may sort by (besides createdAt, updatedAt). */
  sortFields: readonly string[];
  /** Query parameters that filter by equality on a column of the same name. */
  filterFields: readonly string[];
  /** Clients may push changes (stage changes are written by the server only). */
  pushable: boolean;
}

const base = { jsonFields: ['custom'], boolFields: [], moneyFields: [], pushable: true } as const;

export const COLLECTIONS: Record<CollectionName, CollectionInfo> = {
  organizations: {
    ...base,
    name: 'organizations',
    entityType: 'organization',
    record: OrganizationRecord,
    jsonFields: ['labels', 'custom'],
    searchFields: ['name', 'domain', 'website'],
    sortFields: ['name', 'domain'],
    filterFields: ['ownerId'],
  },
  people: {
    ...base,
    name: 'people',
    entityType: 'person',
    record: PersonRecord,
    jsonFields: ['labels', 'custom'],
    searchFields: ['name', 'email', 'title', 'phone'],
    sortFields: ['name', 'email', 'title'],
    filterFields: ['organizationId', 'ownerId'],
  },
  deals: {
    ...base,
    name: 'deals',
    entityType: 'deal',
    record: DealRecord,
    jsonFields: ['labels', 'custom'],
    moneyFields: ['amount'],
    searchFields: ['title'],
    sortFields: ['title', 'amount', 'expectedCloseDate', 'status', 'probability'],
    filterFields: ['organizationId', 'pipelineId', 'stageId', 'status', 'ownerId', 'primaryPersonId'],
  },
  dealContacts: {
    ...base,
    name: 'dealContacts',
    entityType: 'dealContact',
    record: DealContactRecord,
    searchFields: ['role'],
    sortFields: ['role'],
    filterFields: ['dealId', 'personId'],
  },
  activities: {
    ...base,
    name: 'activities',
    entityType: 'activity',
    record: ActivityRecord,
    searchFields: ['subject', 'body'],
    sortFields: ['occurredAt', 'dueAt', 'type'],
    filterFields: ['organizationId', 'personId', 'dealId', 'type'],
  },
  pipelines: {
    ...base,
    name: 'pipelines',
    entityType: 'pipeline',
    record: PipelineRecord,
    boolFields: ['isDefault'],
    searchFields: ['name'],
    sortFields: ['name', 'position'],
    filterFields: [],
  },
  stages: {
    ...base,
    name: 'stages',
    entityType: 'stage',
    record: StageRecord,
    searchFields: ['name'],
    sortFields: ['name', 'position'],
    filterFields: ['pipelineId'],
  },
  stageChanges: {
    ...base,
    name: 'stageChanges',
    entityType: 'stageChange',
    record: StageChangeRecord,
    jsonFields: [],
    moneyFields: ['amount'],
    searchFields: [],
    sortFields: ['changedAt'],
    filterFields: ['dealId', 'pipelineId'],
    pushable: false,
  },
};

/** Fields the server owns: never taken from a client. */
export const SERVER_FIELDS = ['workspaceId', 'createdAt', 'updatedAt', 'version'] as const;

/** Fields of a record that a client edits (everything but id and server fields). */
export function userFields(collection: CollectionName): string[] {
  const all = Object.keys(COLLECTIONS[collection].record.shape);
  return all.filter((f) => f !== 'id' && !(SERVER_FIELDS as readonly string[]).includes(f));
}
