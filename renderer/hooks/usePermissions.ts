/**
 * What the signed-in user may do in this workspace, from the shared rule (shared/permissions.ts)
 * and the store's role and read-only flag. Every view asks here before offering an edit, so a
 * viewer (or a read-only key) is never offered a change the server would refuse.
 *
 *   const { can } = usePermissions();  can('create', 'deals')
 *   const edit = useCan('update', 'deals');  <fieldset disabled={!edit.allowed}>  … edit.reason
 */
import { useMemo } from 'react';
import type { CollectionName } from '../../shared/collections.js';
import { useKith } from '../app/KithContext.js';
import { permission, type Access, type Permission, type RecordAction } from '../lib/permissions.js';

export type { Permission, RecordAction };

export interface Permissions {
  access: Access;
  can(action: RecordAction, collection: CollectionName): boolean;
  check(action: RecordAction, collection: CollectionName): Permission;
}

export function usePermissions(): Permissions {
  const { role, readOnly } = useKith().info;
  return useMemo(() => {
    const access: Access = { role, readOnly };
    return { access, can: (action, collection) => permission(access, action, collection).allowed, check: (action, collection) => permission(access, action, collection) };
  }, [role, readOnly]);
}

/** One action on one collection: `{allowed, reason}`. */
export function useCan(action: RecordAction, collection: CollectionName): Permission {
  const { check } = usePermissions();
  return useMemo(() => check(action, collection), [check, action, collection]);
}
