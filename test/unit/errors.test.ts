/**
 * Domain errors carry a code; each transport maps it. The HTTP mapping (server/http/problem.ts)
 * and the status a refused sync change records agree, and the problems keep their exact shape.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { conflict, DomainError, ERROR_CODES, forbidden, invalid, notFound } from '../../server/domain/errors.js';
import { statusOf, toProblem } from '../../server/http/problem.js';
import { errorText } from '../../server/mcp/server.js';
import { REFUSAL_STATUS } from '../../server/domain/syncPush.js';

describe('domain errors', () => {
  test('every code has one HTTP status, and a refused sync change records that same status', () => {
    for (const code of ERROR_CODES) {
      const error = new DomainError(code, 'message');
      assert.equal(toProblem(error).status, statusOf(error), code);
      assert.equal(REFUSAL_STATUS[code], statusOf(error), code);
    }
  });

  test('an error keeps its code, message, field errors and extras', () => {
    for (const code of ERROR_CODES) {
      const error = new DomainError(code, 'message', [{ path: 'x', message: 'bad' }], { currentVersion: 3 });
      assert.equal(error.code, code);
      assert.deepEqual(error.errors, [{ path: 'x', message: 'bad' }]);
      assert.deepEqual(error.extra, { currentVersion: 3 });
      assert.equal(error.message, 'message');
    }
  });

  test('problems: status, title, detail, errors and extras as before codes existed', () => {
    assert.deepEqual(toProblem(invalid('name', 'must not be empty')), {
      type: 'https://kith.dev/problems/validation',
      title: 'Validation failed',
      status: 422,
      detail: 'name: must not be empty',
      errors: [{ path: 'name', message: 'must not be empty' }],
    });
    assert.deepEqual(toProblem(notFound('deal', 'x')), { type: 'https://kith.dev/problems/not-found', title: 'Not found', status: 404, detail: 'deal x not found' });
    assert.deepEqual(toProblem(conflict('taken', { id: 'a' })), { type: 'https://kith.dev/problems/conflict', title: 'Conflict', status: 409, detail: 'taken', id: 'a' });
    assert.deepEqual(toProblem(new DomainError('precondition_failed', 'changed', [], { currentVersion: 7 })), {
      type: 'https://kith.dev/problems/precondition-failed',
      title: 'Precondition failed',
      status: 412,
      detail: 'changed',
      currentVersion: 7,
    });
    assert.deepEqual(toProblem(forbidden('read-only')), { type: 'https://kith.dev/problems/forbidden', title: 'Forbidden', status: 403, detail: 'read-only' });
    // the one refusal whose problem names its code, so clients can tell it from other 403s
    assert.deepEqual(toProblem(forbidden('Workspace access denied by API key restriction', 'key_workspace_restriction')), {
      type: 'https://kith.dev/problems/forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'Workspace access denied by API key restriction',
      code: 'key_workspace_restriction',
    });
    assert.deepEqual(toProblem(new DomainError('workspace_required', 'name one')), { type: 'https://kith.dev/problems/bad-request', title: 'Workspace required', status: 400, detail: 'name one' });
    assert.deepEqual(toProblem(new DomainError('server_only', 'stageChanges are written by the server only')), {
      type: 'https://kith.dev/problems/method-not-allowed',
      title: 'Method not allowed',
      status: 405,
      detail: 'stageChanges are written by the server only',
    });
  });

  test('MCP error text names what went wrong in its own words, then the fields', () => {
    assert.equal(errorText(invalid('stage', "no stage named 'Closing'")), "Validation failed: stage: no stage named 'Closing'");
    assert.equal(errorText(notFound('deal', 'x')), 'Not found: deal x not found');
    assert.equal(errorText(forbidden('Your role VIEWER cannot change records')), 'Forbidden: Your role VIEWER cannot change records');
    assert.equal(errorText(conflict('already a contact')), 'Conflict: already a contact');
  });
});
