/**
 * Validation messages shared by the server and the client: zod issues flattened into
 * {path, message} pairs that name the field and say what was expected.
 */
import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

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
