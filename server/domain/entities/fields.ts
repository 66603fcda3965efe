/**
 * Custom field definitions, the server's part (the rules are shared/entities/fields.ts): a change
 * of a field's type, options or reference target is checked against the values records hold. Every
 * value must convert (shared/customFields.ts `convertValue`); the change is refused with how many
 * and which records would not, or else the converted values are written in the same transaction
 * (as record updates: audited, replicated).
 */
import { sql } from 'kysely';
import { jsonSelect, jsonType } from '../../store/dialect.js';
import { COLLECTIONS, isCollectionName } from '../../../shared/collections.js';
import { convertValue, type FieldDefinition } from '../../../shared/customFields.js';
import { ensureCustomIndex } from '../../store/customIndexes.js';
import { DomainError } from '../errors.js';
import type { HooksOf } from '../records/scope.js';
import { sameValue } from '../records/scope.js';

/** Ids named in a refusal (the count says how many there are in all). */
const SHOWN_IDS = 10;

export const fieldHooks: HooksOf<'fields'> = {
  async afterWrite(s, before, after) {
    // filters on the field's values use an expression index (created once per table and key)
    if (!before || before.type !== after.type) await ensureCustomIndex(s.tx, isCollectionName(after.entity) ? after.entity : 'records', after.key, after.type);
    if (!before) return;
    const changed = (['type', 'options', 'referenceTo'] as const).filter((f) => !sameValue(before[f], after[f]));
    if (changed.length === 0) return;
    // a custom object type's fields hold values in its records
    const collection = isCollectionName(after.entity) ? after.entity : 'records';
    const def = after as unknown as FieldDefinition;
    const path = `$.${after.key}`;
    const rows = await s.tx
      .selectFrom(collection)
      .select(['id', sql<string>`${jsonSelect(s.tx, 'custom', path)}`.as('value'), sql<string>`${jsonType(s.tx, 'custom', path)}`.as('kind')])
      .where('workspaceId', '=', s.ctx.workspaceId)
      .where('deleted', '=', 0)
      .$if(collection === 'records', (q) => q.where('type', '=', after.entity))
      .where(sql<boolean>`${jsonType(s.tx, 'custom', path)} is not null`)
      .where(sql<boolean>`${jsonType(s.tx, 'custom', path)} != 'null'`)
      .orderBy('id')
      .execute();
    const refused: string[] = [];
    const conversions: { id: string; value: unknown }[] = [];
    for (const row of rows) {
      const value =
        row.kind === 'object' || row.kind === 'array'
          ? JSON.parse(row.value)
          : row.kind === 'true'
            ? true
            : row.kind === 'false'
              ? false
              : row.kind === 'integer' || row.kind === 'real'
                ? Number(row.value)
                : row.value;
      let converted = convertValue(value, def);
      if (converted !== undefined && def.type === 'reference' && def.referenceTo) {
        const target = isCollectionName(def.referenceTo) ? def.referenceTo : 'records';
        const found = await s.records.find(s.tx, s.ctx, target, String(converted));
        if (!found || (target === 'records' && found.type !== def.referenceTo)) converted = undefined;
      }
      if (converted === undefined) refused.push(row.id);
      else if (!sameValue(converted, value)) conversions.push({ id: row.id, value: converted });
    }
    if (refused.length > 0) {
      const what = changed.includes('type') ? `to ${after.type}` : changed.includes('options') ? 'to the new options' : `to a reference to ${after.referenceTo}`;
      const shown = refused.slice(0, SHOWN_IDS).join(', ') + (refused.length > SHOWN_IDS ? `, and ${refused.length - SHOWN_IDS} more` : '');
      const message = `${refused.length} ${refused.length === 1 ? COLLECTIONS[collection].label : collection === 'records' ? 'records' : collection} ${refused.length === 1 ? 'has a value' : 'have values'} of '${after.key}' that would not convert ${what}: ${shown}; change or clear those values first`;
      throw new DomainError('conflict', message, [{ path: changed[0], message }], { count: refused.length, ids: refused.slice(0, 100) });
    }
    for (const c of conversions) await s.records.update(s.ctx, collection, c.id, { custom: { [after.key]: c.value } }, {}, s);
  },
};
