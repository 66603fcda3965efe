/**
 * What the collection registry derives from the entity declarations: the storage column kinds,
 * what a sync push may set, the push order, the permission table and the local indexes — the
 * values every runtime relies on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { COLLECTIONS, COLLECTION_NAMES, REFERENCE_FIELDS, collectionInfo } from '../../shared/collections.js';
import { PERMISSIONS, can, requiredRole } from '../../shared/permissions.js';
import { creatableFields, mergeableFields } from '../../shared/sync.js';
import { INDEXES, rxSchemaFor } from '../../renderer/data/schemas.js';

describe('the collection registry', () => {
  test('column kinds come from the record schemas', () => {
    const kinds = Object.fromEntries(COLLECTION_NAMES.map((c) => [c, [COLLECTIONS[c].jsonFields, COLLECTIONS[c].boolFields, COLLECTIONS[c].moneyFields]]));
    assert.deepEqual(kinds, {
      organizations: [['labels', 'custom'], [], []],
      people: [['labels', 'custom'], [], []],
      deals: [['labels', 'custom'], [], ['amount']],
      dealContacts: [['custom'], [], []],
      activities: [['custom'], [], []],
      pipelines: [['custom'], ['isDefault'], []],
      stages: [['custom'], [], []],
      stageChanges: [[], [], ['amount']],
      fields: [['options'], ['required'], []],
      objectTypes: [[], [], []],
      records: [['labels', 'custom'], [], []],
    });
    assert.ok(COLLECTIONS.deals.nullableFields.includes('amount') && !COLLECTIONS.deals.nullableFields.includes('title'));
  });

  test('what a push may create and merge', () => {
    assert.deepEqual(creatableFields('dealContacts'), ['personId', 'role', 'dealId']);
    assert.deepEqual(mergeableFields('dealContacts'), ['role']);
    assert.deepEqual(creatableFields('stages'), ['name', 'position', 'probability', 'custom', 'pipelineId']);
    assert.deepEqual(mergeableFields('stages'), ['name', 'position', 'probability', 'custom']);
    assert.deepEqual(mergeableFields('activities'), creatableFields('activities'));
    assert.ok(!creatableFields('organizations').includes('domain'), 'derived fields are the server’s');
    assert.deepEqual(creatableFields('stageChanges'), []);
    assert.deepEqual(
      COLLECTION_NAMES.filter((c) => COLLECTIONS[c].pushable),
      ['organizations', 'people', 'deals', 'dealContacts', 'activities', 'pipelines', 'stages', 'fields', 'objectTypes', 'records'],
    );
  });

  test('reference fields, each pointing into one collection', () => {
    assert.deepEqual(
      new Map(REFERENCE_FIELDS),
      new Map(Object.entries({ organizationId: 'organizations', personId: 'people', primaryPersonId: 'people', dealId: 'deals', pipelineId: 'pipelines', stageId: 'stages' })),
    );
  });

  test('the permission table: members write records, owners configure pipelines and delete; deal contacts are unlinked by members', () => {
    for (const c of ['organizations', 'people', 'deals', 'activities'] as const) {
      assert.deepEqual(PERMISSIONS[c], { create: 'MEMBER', update: 'MEMBER', archive: 'MEMBER', restore: 'MEMBER', delete: 'OWNER' });
    }
    assert.equal(requiredRole('dealContacts', 'delete'), 'MEMBER');
    for (const c of ['pipelines', 'stages'] as const) assert.ok(Object.values(PERMISSIONS[c]).every((r) => r === 'OWNER'));
    assert.ok(Object.values(PERMISSIONS.stageChanges).every((r) => r === null));
    assert.equal(can({ role: 'MEMBER', readOnly: false }, 'delete', 'dealContacts'), true);
    assert.equal(can({ role: 'OWNER', readOnly: true }, 'create', 'organizations'), false);
  });

  test('the RxDB schemas carry the declared indexes', () => {
    assert.deepEqual(INDEXES.deals, ['stageId', ['pipelineId', 'stageId'], 'status', 'updatedAt']);
    assert.deepEqual(rxSchemaFor('stages').indexes, [['pipelineId', 'position']]);
  });

  test('a collection name finds its entry; anything else none', () => {
    assert.equal(collectionInfo('deals')?.label, 'deal');
    assert.equal(collectionInfo('dealContacts')?.entityType, 'dealContact');
    assert.equal(collectionInfo('widgets'), undefined);
  });
});
