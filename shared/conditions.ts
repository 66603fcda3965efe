/**
 * Conditions of an automation (SPEC §3 "Automations"): the query operators of lists, evaluated
 * on one record in memory (a record event, or each record a daily schedule looks at), plus
 * `changed` (the change touched one of these fields). The operators and the kinds of fields are
 * the list query's (listQuery.ts); the server checks a condition against the entity's fields when
 * an automation is saved and keeps the SQL list query for narrowing scheduled work down.
 *
 * Date and time values may be relative to the moment the condition is evaluated: `now`,
 * `now-14d`, `now+2h` (units m, h, d, w), so "no activity for 14 days" is
 * `{"field": "lastActivityAt", "op": "lt", "value": "now-14d"}`.
 */
import { KIND_OPERATORS, OPERATORS, operatorValue, type FieldKind, type Operator } from './listQuery.js';

/** A field condition as stored: `op` defaults to equality; an array value means any of them (equality). */
export interface FieldCondition {
  field: string;
  op?: Operator;
  value?: unknown;
}
export interface ChangedCondition {
  changed: string[];
}
export type Condition = FieldCondition | ChangedCondition;

/** How a field compares, or `labels` (a record's labels: equality means "has the label"). */
export type ConditionKind = FieldKind | 'labels';

export const CONDITION_OPERATORS: readonly Operator[] = ['eq', ...OPERATORS];
export const RELATIVE_TIME = /^now(?:([+-])(\d{1,6})([mhdw]))?$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The operators a kind of field takes. */
export function operatorsOf(kind: ConditionKind): Operator[] {
  return kind === 'labels' ? ['eq', 'empty'] : KIND_OPERATORS[kind];
}

/** `now-14d` → the ISO time (or for dates, the UTC calendar date) it names at `now`; other values unchanged. */
export function resolveRelative(value: unknown, kind: ConditionKind, now: number): unknown {
  if (typeof value !== 'string' || (kind !== 'date' && kind !== 'datetime')) return value;
  const m = RELATIVE_TIME.exec(value.trim());
  if (!m) return value;
  const at = new Date(now + (m[1] ? (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3]] : 0)).toISOString();
  return kind === 'date' ? at.slice(0, 10) : at;
}

/**
 * Why a condition's operator and value do not fit a field of `kind`, as [path suffix, message],
 * or null. Values are checked with the list query's schemas (a relative time passes for dates).
 */
export function conditionProblem(condition: FieldCondition, kind: ConditionKind): [string, string] | null {
  const op = condition.op ?? 'eq';
  if (!CONDITION_OPERATORS.includes(op)) return ['op', `unknown operator '${String(op)}': one of ${CONDITION_OPERATORS.join(', ')}`];
  const allowed = operatorsOf(kind);
  if (!allowed.includes(op)) return ['op', `${condition.field} is ${kind === 'labels' ? 'a list of labels' : `a ${kind} field`}: it takes ${allowed.join(', ')}, not ${op}`];
  const values = Array.isArray(condition.value) ? condition.value : [condition.value];
  if (Array.isArray(condition.value) && op !== 'eq') return ['value', `a list of values (any of them) goes with eq only`];
  if (values.length === 0) return ['value', 'name at least one value'];
  for (const value of values) {
    if (value === undefined) return ['value', 'is required'];
    if (op === 'eq' && value === null) continue; // equal to nothing: the same as empty
    if (op === 'empty' && typeof value === 'boolean') continue;
    if ((kind === 'date' || kind === 'datetime') && typeof value === 'string' && RELATIVE_TIME.test(value.trim())) continue;
    if (kind === 'labels') {
      if (op === 'eq' && (typeof value !== 'string' || value.trim() === '')) return ['value', 'must be a label'];
      if (op === 'empty' && value !== 'true' && value !== 'false') return ['value', 'must be true or false'];
      continue;
    }
    const text = typeof value === 'boolean' || typeof value === 'number' ? String(value) : value;
    const schema = op === 'eq' || op === 'ne' ? operatorValue(kind, kind === 'boolean' ? 'eq' : 'gt') : operatorValue(kind, op);
    const parsed =
      kind === 'text' && (op === 'eq' || op === 'ne')
        ? typeof value === 'string'
          ? { success: true }
          : { success: false, error: { issues: [{ message: 'must be a string' }] } }
        : schema.safeParse(text);
    if (!parsed.success) {
      const issue = (parsed as { error: { issues: { message: string }[] } }).error.issues[0];
      return ['value', kind === 'date' || kind === 'datetime' ? `${issue.message}, or relative: now, now-14d, now+2h` : issue.message];
    }
  }
  return null;
}

/** A record's value of a condition field: `custom.<key>` from `custom` (money by its amount). */
export function fieldValue(record: Record<string, unknown>, field: string, kind: ConditionKind): unknown {
  if (field.startsWith('custom.')) {
    const custom = (record.custom ?? {}) as Record<string, unknown>;
    const value = custom[field.slice('custom.'.length)];
    return kind === 'money' && value && typeof value === 'object' ? (value as { amount?: unknown }).amount : value;
  }
  return record[field];
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

function comparable(kind: ConditionKind, v: unknown): number | string | null {
  if (v === null || v === undefined || v === '') return null;
  if (kind === 'number' || kind === 'money') return Number(v);
  if (kind === 'datetime') return Date.parse(String(v));
  if (kind === 'boolean') return v === true || v === 'true' || v === 1 ? 1 : 0;
  if (kind === 'date') return String(v).slice(0, 10);
  return String(v);
}

/** True when one field condition holds for a record at `now`. */
export function fieldConditionHolds(record: Record<string, unknown>, condition: FieldCondition, kind: ConditionKind, now: number): boolean {
  const op = condition.op ?? 'eq';
  const actual = fieldValue(record, condition.field, kind);
  const wanted = (Array.isArray(condition.value) ? condition.value : [condition.value]).map((v) => resolveRelative(v, kind, now));
  if (op === 'empty') return isEmpty(actual) === (wanted[0] === true || wanted[0] === 'true');
  if (kind === 'labels' || kind === 'multi') {
    const list = Array.isArray(actual) ? actual.map(String) : [];
    return wanted.some((w) => (w === null ? list.length === 0 : list.includes(String(w))));
  }
  if (op === 'contains') return typeof actual === 'string' && actual.toLowerCase().includes(String(wanted[0]).toLowerCase());
  const a = comparable(kind, actual);
  if (op === 'eq') return wanted.some((w) => (w === null ? a === null : a !== null && a === comparable(kind, w)));
  const b = comparable(kind, wanted[0]);
  if (op === 'ne') return a === null || a !== b;
  if (a === null || b === null || (typeof a === 'number' && Number.isNaN(a))) return false;
  if (op === 'gt') return a > b;
  if (op === 'gte') return a >= b;
  if (op === 'lt') return a < b;
  return a <= b; // lte
}

/**
 * True when every condition holds: field conditions on the record, `changed` on the fields the
 * change touched (`changedFields` null — a schedule or a manual run — and `changed` never holds).
 */
export function conditionsHold(
  record: Record<string, unknown>,
  conditions: readonly Condition[],
  options: { changedFields: readonly string[] | null; now: number; kindOf: (field: string) => ConditionKind | null },
): boolean {
  return conditions.every((c) => {
    if ('changed' in c) return options.changedFields !== null && c.changed.some((f) => options.changedFields!.includes(f));
    const kind = options.kindOf(c.field);
    return kind !== null && fieldConditionHolds(record, c, kind, options.now);
  });
}
