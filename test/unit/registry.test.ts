/**
 * What the collection registry derives from the entity declarations: the storage column kinds,
 * what a sync push may set, the push order, the permission table and the local indexes — the
 * values every runtime relies on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { COLLECTIONS, COLLECTION_NAMES, REFERENCE_FIELDS, collectionInfo } from '../../shared/collections.js';
import { PERMISSIONS, can, mayChangeRecord, requiredRole, visibleTo } from '../../shared/permissions.js';
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
      views: [['filters', 'sort', 'columns'], ['shared'], []],
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
      ['organizations', 'people', 'deals', 'dealContacts', 'activities', 'pipelines', 'stages', 'fields', 'objectTypes', 'records', 'views'],
    );
    // a view's owner is the server's to set, and its table is fixed
    assert.deepEqual(creatableFields('views'), ['name', 'table', 'filters', 'sort', 'columns', 'shared']);
    assert.deepEqual(mergeableFields('views'), ['name', 'filters', 'sort', 'columns', 'shared']);
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

  test('saved views: members save them; a personal one is its owner’s alone; only the owner or a workspace owner changes one', () => {
    const [ann, bob, olga] = ['ann', 'bob', 'olga'];
    const personal = { ownerId: ann, shared: false };
    const shared = { ownerId: ann, shared: true };
    const as = (userId: string | null, role: 'OWNER' | 'MEMBER' | 'VIEWER', readOnly = false) => ({ userId, role, readOnly });

    assert.ok(can(as(bob, 'MEMBER'), 'create', 'views'), 'anyone who may write saves views');
    assert.ok(!can(as(bob, 'VIEWER'), 'create', 'views') && !can(as(bob, 'MEMBER', true), 'create', 'views'), 'viewers and read-only keys do not');

    assert.deepEqual(
      [visibleTo('views', personal, ann), visibleTo('views', personal, bob), visibleTo('views', personal, olga), visibleTo('views', personal, null)],
      [true, false, false, false],
      'a personal view is shown to its owner only (a workspace owner included)',
    );
    assert.deepEqual([visibleTo('views', shared, bob), visibleTo('views', shared, null)], [true, true]);
    assert.ok(visibleTo('deals', { ownerId: ann }, bob), 'collections without ownership: everyone sees everything');

    for (const action of ['update', 'delete', 'archive'] as const) {
      assert.ok(mayChangeRecord(as(ann, 'MEMBER'), action, 'views', personal), `the owner may ${action} her view`);
      assert.ok(mayChangeRecord(as(ann, 'MEMBER'), action, 'views', shared));
      assert.ok(!mayChangeRecord(as(bob, 'MEMBER'), action, 'views', shared), `another member may not ${action} a shared view`);
      assert.ok(!mayChangeRecord(as(bob, 'MEMBER'), action, 'views', personal));
      assert.ok(mayChangeRecord(as(olga, 'OWNER'), action, 'views', shared), `a workspace owner may ${action} a shared view`);
      assert.ok(!mayChangeRecord(as(olga, 'OWNER'), action, 'views', personal), 'but not one she cannot see');
      assert.ok(!mayChangeRecord(as(ann, 'VIEWER'), action, 'views', personal), 'her own view, once she is a viewer: read-only');
      assert.ok(!mayChangeRecord(as(ann, 'MEMBER', true), action, 'views', personal), 'nor through a read-only key');
    }
    assert.ok(mayChangeRecord(as(bob, 'MEMBER'), 'update', 'deals', { ownerId: ann }), 'other collections: the role rule alone');
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
