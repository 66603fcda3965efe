/**
 * Automation placeholders (server/domain/automations/template.ts): substituted as JSON values,
 * never evaluated; found and checked before an automation is saved.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { placeholderProblem, placeholders, render } from '../../server/domain/automations/template.js';

const scope = {
  record: { title: 'Big "deal"', amount: 1200.5, labels: ['vip'], organization: { name: 'Acme' }, ownerId: null, custom: { tier: 'gold' } },
  secret: { projects_token: 'Bearer s3cr3t' },
  event: { type: 'deal.won' },
};

describe('automation templates', () => {
  test('a whole-string placeholder keeps its JSON type; inside text it becomes text', () => {
    const body = render(
      {
        name: '{{record.title}}',
        amount: '{{ record.amount }}',
        labels: '{{record.labels}}',
        owner: '{{record.ownerId}}',
        client: '{{record.organization.name}}',
        note: 'Won: {{record.title}} for {{record.amount}} ({{record.labels}}){{record.ownerId}}',
        tier: '{{record.custom.tier}}',
      },
      scope,
    );
    assert.deepEqual(body, { name: 'Big "deal"', amount: 1200.5, labels: ['vip'], owner: null, client: 'Acme', note: 'Won: Big "deal" for 1200.5 (["vip"])', tier: 'gold' });
    assert.deepEqual(render(['{{secret.projects_token}}', 42, true, null, { '{{record.title}}': 'keys stay' }], scope), ['Bearer s3cr3t', 42, true, null, { '{{record.title}}': 'keys stay' }]);
  });

  test('values are substituted, never evaluated: a record value that looks like a placeholder or code stays text', () => {
    const sneaky = { record: { title: '{{secret.projects_token}}', notes: '${process.exit(1)}' } };
    assert.deepEqual(render({ a: '{{record.title}}', b: 'x {{record.title}} {{record.notes}}' }, { ...sneaky, secret: scope.secret }), {
      a: '{{secret.projects_token}}',
      b: 'x {{secret.projects_token}} ${process.exit(1)}',
    });
    assert.equal(render('{{record.missing}}', scope), null);
    assert.equal(render('a{{record.missing}}b', scope), 'ab');
  });

  test('placeholders are found with where they are, malformed ones too, and checked against the known fields', () => {
    assert.deepEqual(placeholders({ headers: { Authorization: '{{secret.projects_token}}' }, body: { name: '{{record.title}}', list: ['{{record.x}}', 'y {{oops'] } }, 'steps.0'), [
      { path: 'secret.projects_token', at: 'steps.0.headers.Authorization' },
      { path: 'record.title', at: 'steps.0.body.name' },
      { path: 'record.x', at: 'steps.0.body.list.0' },
      { path: '', at: 'steps.0.body.list.1' },
    ]);
    const known = (root: string, rest: string[]) => (root === 'record' ? ['title', 'amount'].includes(rest[0]) : true);
    assert.equal(placeholderProblem('record.title', known), null);
    assert.match(placeholderProblem('record.titel', known)!, /no field 'titel' on record/);
    assert.match(placeholderProblem('process.env', known)!, /placeholders start with record, previous, event, secret, response/);
    assert.match(placeholderProblem('record', known)!, /name a field/);
    assert.match(placeholderProblem('', known)!, /malformed placeholder/);
  });
});
