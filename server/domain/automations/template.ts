/**
 * Placeholders in automation steps (SPEC §3): `{{record.title}}`, `{{record.organization.name}}`
 * (a reference followed to its record), `{{previous.stageId}}`, `{{event.type}}`,
 * `{{secret.projects_token}}`. They are substituted as JSON values, never evaluated: a string that
 * is exactly one placeholder becomes the value itself (a number stays a number, an object an
 * object, a missing value null); a placeholder inside longer text becomes its text (objects as
 * JSON, null as nothing). Keys of objects are never substituted.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\}\}$/;
const ROOTS = ['record', 'previous', 'event', 'secret', 'response'] as const;

/** Every placeholder path in a template, with where it is (for validation messages: `steps.0.body.name`). */
export function placeholders(template: unknown, at = ''): { path: string; at: string }[] {
  const out: { path: string; at: string }[] = [];
  const walk = (value: unknown, where: string) => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(PLACEHOLDER)) out.push({ path: m[1], at: where });
      // an unclosed or malformed placeholder is an error too
      if (/\{\{/.test(value.replace(PLACEHOLDER, ''))) out.push({ path: '', at: where });
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}.${i}`));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, where ? `${where}.${k}` : k);
  };
  walk(template, at);
  return out;
}

/** Why a placeholder path cannot be used, or null. `known(root, rest)` says whether a field exists. */
export function placeholderProblem(path: string, known: (root: string, rest: string[]) => boolean): string | null {
  if (path === '') return 'has a malformed placeholder (write {{record.field}})';
  const [root, ...rest] = path.split('.');
  if (!(ROOTS as readonly string[]).includes(root)) return `{{${path}}}: placeholders start with ${ROOTS.join(', ')}`;
  if (rest.length === 0) return `{{${path}}}: name a field, e.g. {{${root}.name}}`;
  if (!known(root, rest)) return `{{${path}}}: no field '${rest.join('.')}' on ${root}`;
  return null;
}

/**
 * What placeholders read: `record` (the runner adds the records its references point to, e.g.
 * `record.organization`), `previous`, `event`, `secret`, `response` (of an earlier HTTP step).
 */
export type Scope = Record<string, unknown>;

function lookup(scope: Scope, path: string): unknown {
  let value: unknown = scope;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string, unknown>)[part];
  }
  return value === undefined ? null : value;
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The template with its placeholders substituted from `scope` (a new value; the template is not changed). */
export function render(template: Json, scope: Scope): Json {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return (lookup(scope, whole[1]) ?? null) as Json;
    return template.replace(PLACEHOLDER, (_m, path: string) => asText(lookup(scope, path)));
  }
  if (Array.isArray(template)) return template.map((v) => render(v, scope));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, render(v, scope)]));
  return template;
}
