/**
 * Domain errors. Adapters turn them into problem+json (REST), isError tool results (MCP) or
 * rejected changes (sync). Messages say which field and what was expected.
 */
import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

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
function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** Flattens zod issues into {path, message} with dotted paths. */
export function zodErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => {
    let path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      path = [path, keys[0]].filter(Boolean).join('.');
      message = `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')} (not accepted here)`;
    } else if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) {
      const expected = (issue as { expected?: string }).expected;
      // zod only reports the input when asked to; its default message says what it received
      const missing = 'input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message);
      message = missing ? 'is required' : expected ? `must be ${article(expected)}` : 'must be of another type';
    } else if (issue.code === 'invalid_union') {
      // e.g. string-or-null given a number: say what the first alternative expected
      const first = (issue as { errors?: { code: string; expected?: string }[][] }).errors?.[0]?.[0];
      if (first?.code === 'invalid_type' && first.expected) message = `must be ${article(first.expected)}`;
    } else if (issue.code === 'invalid_value' && 'values' in issue) {
      message = `must be one of ${(issue.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    return { path, message };
  });
}

/** Parses input with a schema or throws a ValidationError naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new ValidationError(zodErrors(result.error, prefix));
  return result.data;
}
