/**
 * The shared request schemas: trimming, strictness (unknown fields rejected), field-level
 * messages, and the domain's zod-issue flattening into {path, message}.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { z } from 'zod';
import { ValidationError, parseInput, zodErrors } from '../../server/domain/errors.js';
import { emptyToNull } from '../../shared/rules.js';
import { domainFromWebsite } from '../../shared/rules.js';
import { ActivityUpdate, DealCreate, DealUpdate, OrganizationCreate, PersonCreate, PipelineCreate, isCurrencyCode } from '../../shared/schemas.js';
import { listQuerySchema } from '../../shared/listQuery.js';
import { newId, isUuid } from '../../shared/ids.js';

function errorsOf(schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  assert.equal(result.success, false, 'expected a validation failure');
  return zodErrors(result.error!);
}

describe('request schemas', () => {
  test('text is trimmed; empty optional text becomes null through the domain', () => {
    const parsed = OrganizationCreate.parse({ name: '  Acme  ', website: '   ', notes: ' hi ' });
    assert.deepEqual(parsed, { name: 'Acme', website: '', notes: 'hi' });
    assert.deepEqual(emptyToNull(parsed), { name: 'Acme', website: null, notes: 'hi' });
  });

  test('required text: missing, blank and wrong type have distinct messages', () => {
    assert.deepEqual(errorsOf(OrganizationCreate, {}), [{ path: 'name', message: 'is required' }]);
    assert.deepEqual(errorsOf(OrganizationCreate, { name: '  ' }), [{ path: 'name', message: 'must not be empty' }]);
    assert.deepEqual(errorsOf(OrganizationCreate, { name: 7 }), [{ path: 'name', message: 'must be a string' }]);
    assert.deepEqual(errorsOf(OrganizationCreate, { name: 'x'.repeat(201) }), [{ path: 'name', message: 'must be at most 200 characters' }]);
  });

  test('email is trimmed and lower-cased before its format is checked; blank means none', () => {
    assert.equal(PersonCreate.parse({ name: 'A', email: '  Ada@Example.COM ' }).email, 'ada@example.com');
    assert.equal(PersonCreate.parse({ name: 'A', email: '' }).email, null);
    assert.equal(PersonCreate.parse({ name: 'A', email: '   ' }).email, null);
    assert.equal(PersonCreate.parse({ name: 'A', email: null }).email, null);
    assert.deepEqual(errorsOf(PersonCreate, { name: 'A', email: 'nope' }), [{ path: 'email', message: 'must be an email address' }]);
  });

  test('unknown fields are rejected with their name, nested too', () => {
    assert.deepEqual(errorsOf(OrganizationCreate, { name: 'A', colour: 'red' }), [{ path: 'colour', message: "unknown field 'colour' (not accepted here)" }]);
    const two = errorsOf(DealUpdate, { title: 'x', a: 1, b: 2 });
    assert.equal(two[0].path, 'a');
    assert.match(two[0].message, /unknown fields 'a', 'b'/);
    assert.deepEqual(errorsOf(PipelineCreate, { name: 'P', stages: [{ name: 'S', x: 1 }] }), [{ path: 'stages.0.x', message: "unknown field 'x' (not accepted here)" }]);
    assert.equal(errorsOf(DealUpdate, { id: newId() })[0].path, 'id', 'ids cannot be changed');
  });

  test('deal fields: currency, amount, probability, dates, enums', () => {
    const deal = DealCreate.parse({ title: 'D', currency: ' eur ', amount: 10.5, probability: 0.25, expectedCloseDate: '2028-02-29' });
    assert.equal(deal.currency, 'EUR');
    const byPath = (input: unknown) => Object.fromEntries(errorsOf(DealCreate, input).map((e) => [e.path, e.message]));
    assert.match(byPath({ title: 'D', currency: 'XYZ' }).currency, /ISO 4217/);
    assert.equal(byPath({ title: 'D', amount: -1 }).amount, 'must be 0 or more');
    assert.equal(byPath({ title: 'D', amount: 1.00001 }).amount, 'must have at most 4 decimal places');
    assert.equal(byPath({ title: 'D', amount: '12' }).amount, 'must be a number');
    assert.equal(byPath({ title: 'D', labels: 'vip' }).labels, 'must be an array');
    assert.equal(byPath({ title: 'D', organizationId: 5 }).organizationId, 'must be a UUID');
    assert.equal(byPath({ title: 'D', probability: 1.01 }).probability, 'must be between 0 and 1');
    assert.equal(byPath({ title: 'D', expectedCloseDate: '2027-02-29' }).expectedCloseDate, 'must be a calendar date YYYY-MM-DD');
    assert.match(byPath({ title: 'D', status: 'closed' }).status, /must be one of "open", "won", "lost"/);
    assert.ok(isCurrencyCode('JPY'));
    assert.ok(!isCurrencyCode('usd'));
  });

  test('activity update: completed shortcut accepted, type not changeable', () => {
    assert.deepEqual(ActivityUpdate.parse({ completed: true }), { completed: true });
    assert.equal(errorsOf(ActivityUpdate, { type: 'note' })[0].path, 'type');
    assert.match(errorsOf(ActivityUpdate, { dueAt: 'tomorrow' })[0].message, /ISO 8601/);
  });

  test('list query: limit coerced and bounded, archived enum, unknown parameters rejected', () => {
    const ListQuery = listQuerySchema('organizations');
    assert.equal(ListQuery.parse({ limit: '25' }).limit, 25);
    assert.deepEqual(errorsOf(ListQuery, { limit: '0' }), [{ path: 'limit', message: 'must be between 1 and 500' }]);
    assert.deepEqual(errorsOf(ListQuery, { limit: '501' }), [{ path: 'limit', message: 'must be between 1 and 500' }]);
    assert.match(errorsOf(ListQuery, { archived: 'yes' })[0].message, /"false", "true", "all"/);
    assert.equal(errorsOf(ListQuery, { colour: 'red' })[0].path, 'colour');
  });
});

describe('domain helpers', () => {
  test('parseInput throws a 422 ValidationError listing every field, with a prefix when given', () => {
    try {
      parseInput(DealCreate, { title: '', amount: -1 }, 'body');
      assert.fail('expected a throw');
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.code, 'invalid');
      assert.deepEqual(error.errors.map((e) => e.path).sort(), ['body.amount', 'body.title']);
      assert.match(error.message, /body\.title: must not be empty/);
    }
    assert.deepEqual(parseInput(OrganizationCreate, { name: 'x' }), { name: 'x' });
  });

  test('domain from website', () => {
    assert.equal(domainFromWebsite('https://www.Example.com/about'), 'example.com');
    assert.equal(domainFromWebsite('example.org'), 'example.org');
    assert.equal(domainFromWebsite('http://sub.example.co.uk:8080/x?y'), 'sub.example.co.uk');
    assert.equal(domainFromWebsite('localhost'), null);
    assert.equal(domainFromWebsite(''), null);
    assert.equal(domainFromWebsite(null), null);
  });

  test('ids are UUIDv7 and time-ordered', () => {
    const a = newId();
    const b = newId();
    assert.ok(isUuid(a));
    assert.equal(a[14], '7');
    assert.ok(a < b);
    assert.ok(!isUuid('not-a-uuid'));
  });
});
