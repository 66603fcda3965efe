/**
 * Domain errors. Each carries a code saying what went wrong, in the domain's terms; adapters turn
 * it into their own answer: problem+json with an HTTP status (server/http/problem.ts maps the
 * codes), an isError tool result (server/mcp), a rejected change (sync). Messages say which field
 * and what was expected.
 */
import type { z } from 'zod';
import { zodErrors, type FieldError } from '../../shared/validation.js';

export { zodErrors, type FieldError };

export const ERROR_CODES = [
  /** The input fails validation; `errors` names each field. */
  'invalid',
  /** No such record, workspace, user or key (in the caller's workspace). */
  'not_found',
  /** The data as it stands forbids the write: a duplicate, a record in use, an id reused with other content. */
  'conflict',
  /** The record changed since the version the caller named. */
  'precondition_failed',
  /** The caller's role, or a read-only key, may not do this. */
  'role_forbidden',
  /** The user has no role in the workspace. */
  'not_a_member',
  /** The API key is restricted to another workspace. */
  'key_workspace_restriction',
  /** The key reaches several workspaces and none was named. */
  'workspace_required',
  /** Only the server writes this collection. */
  'server_only',
  /** A request used the wrong way: a CLI command, a list cursor the server did not give for that list (HTTP 400). */
  'usage',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldError[];
  readonly extra: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, errors: FieldError[] = [], extra: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.errors = errors;
    this.extra = extra;
  }
}

export class ValidationError extends DomainError {
  constructor(errors: FieldError[], message?: string) {
    super('invalid', message ?? errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '), errors);
  }
}

export const notFound = (entity: string, id: string) => new DomainError('not_found', `${entity} ${id} not found`);
/** A refusal for who the caller is: by default their role or read-only key (`role_forbidden`). */
export const forbidden = (message: string, code: 'role_forbidden' | 'not_a_member' | 'key_workspace_restriction' = 'role_forbidden') => new DomainError(code, message);
export const conflict = (message: string, extra: Record<string, unknown> = {}) => new DomainError('conflict', message, [], extra);
export const invalid = (path: string, message: string) => new ValidationError([{ path, message }]);
/** A list cursor the server did not give for this list (tampered, another list's or sort's, from an older release): 400 naming `cursor`. */
export const badCursor = () => {
  const message = 'invalid or expired; pass the nextCursor of the previous page of the same list and sort, unchanged';
  return new DomainError('usage', `cursor: ${message}`, [{ path: 'cursor', message }]);
};

/** Parses input with a schema or throws a ValidationError naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new ValidationError(zodErrors(result.error, prefix));
  return result.data;
}
