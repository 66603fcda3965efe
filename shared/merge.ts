/**
 * Per-field three-way merge used by sync pushes. `base` is the state the client assumed the
 * server had (RxDB's assumedMasterState), `local` what the client wants now, `server` what the
 * server has. A field changed only by the client takes the client's value; changed only on the
 * server (or on neither side) keeps the server's; changed on both sides to different values is a
 * conflict: the server's value stands and the client's is reported as the loser.
 *
 * With no base (the client believes it is creating the record, the server already has it: a
 * retried create), every field the two sides disagree on is a conflict.
 */
export interface FieldConflict {
  field: string;
  /** The client's value, which lost. */
  local: unknown;
  /** The server's value, which was kept. */
  server: unknown;
  /** The value both sides started from (undefined without a base). */
  base: unknown;
}

export interface MergeResult {
  /** Fields to change on the server, with the client's values. */
  patch: Record<string, unknown>;
  conflicts: FieldConflict[];
}

/** Structural equality for JSON values; null and undefined are the same (an absent optional field). */
export function sameJsonValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJsonValue(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!sameJsonValue(ao[k], bo[k])) return false;
  return true;
}

export function mergeFields(fields: readonly string[], base: Record<string, unknown> | null | undefined, local: Record<string, unknown>, server: Record<string, unknown>): MergeResult {
  const patch: Record<string, unknown> = {};
  const conflicts: FieldConflict[] = [];
  for (const field of fields) {
    if (!(field in local)) continue;
    const l = local[field];
    const s = server[field];
    if (sameJsonValue(l, s)) continue;
    if (!base) {
      conflicts.push({ field, local: l, server: s, base: undefined });
      continue;
    }
    const b = base[field];
    const localChanged = !sameJsonValue(b, l);
    const serverChanged = !sameJsonValue(b, s);
    if (localChanged && !serverChanged) patch[field] = l;
    else if (localChanged && serverChanged) conflicts.push({ field, local: l, server: s, base: b });
  }
  return { patch, conflicts };
}
