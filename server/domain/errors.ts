/**
 * Domain errors. Adapters turn them into problem+json (REST), isError tool results (MCP) or
 * rejected changes (sync). Messages say which field and what was expected.
 */
import type { z } from 'zod';
import { zodErrors, type FieldError } from '../../shared/validation.js';

export { zodErrors, type FieldError };

export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly errors: FieldError[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class ValidationError extends DomainError {
  constructor(errors: FieldError[], message?: string) {
    super(422, 'Validation failed', message ?? errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '), errors);
  }
}

export const notFound = (entity: string, id: string) => new DomainError(404, 'Not found', `${entity} ${id} not found`);
export const forbidden = (message: string) => new DomainError(403, 'Forbidden', message);
export const conflict = (message: string, extra: Record<string, unknown> = {}) => new DomainError(409, 'Conflict', message, [], extra);
export const invalid = (path: string, message: string) => new ValidationError([{ path, message }]);

/** "string" → "a string", "object" → "an object". */
/** Parses input with a schema or throws a ValidationError naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new ValidationError(zodErrors(result.error, prefix));
  return result.data;
}
