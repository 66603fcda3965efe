/**
 * Settings → Data model (issue 12): keys made from labels are keys the server accepts; the position
 * writes of a drag, applied one after another the way the server applies a pushed stage move
 * (take the stage out, put it at its new position, renumber the others 0..n-1 —
 * server/domain/entities/pipelines.ts stageHooks.beforeUpdate, after the push's three-way merge),
 * end in the dragged order for every move in a list of six, without a conflict on the way.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { arrayMove } from '@dnd-kit/sortable';
import { FIELD_KEY } from '../../shared/customFields.js';
import { keyFrom, positionWrites } from '../../renderer/views/settings/datamodel/model.js';

/** The server's stage move: `id` out, in again at `position` (clamped), the others renumbered. */
function serverMove(order: string[], id: string, position: number): string[] {
  const others = order.filter((x) => x !== id);
  others.splice(Math.min(position, others.length), 0, id);
  return others;
}

describe('data model settings', () => {
  test('keys from labels', () => {
    assert.equal(keyFrom('Renewal date'), 'renewal_date');
    assert.equal(keyFrom('Tier'), 'tier');
    assert.equal(keyFrom('  Café crème — 2  '), 'cafe_creme_2');
    assert.equal(keyFrom('2024 budget'), 'budget');
    assert.equal(keyFrom('!!!'), '');
    for (const label of ['A', 'x'.repeat(200), 'Über-Größe', 'no. of seats (max)']) {
      const key = keyFrom(label);
      assert.ok(key === '' || FIELD_KEY.test(key), `${label} → ${key}`);
    }
  });

  test('the position writes of every move end in the dragged order, applied one by one as the server does', () => {
    const start = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (let from = 0; from < start.length; from++) {
      for (let to = 0; to < start.length; to++) {
        const target = arrayMove(start, from, to);
        const writes = positionWrites(target, (id) => start.indexOf(id));
        let server = [...start];
        for (const w of writes) {
          // the push's three-way merge of `position`: base (what the client had), local (w.position), server
          const [base, now] = [start.indexOf(w.id), server.indexOf(w.id)];
          if (now === w.position) continue; // the server has it already
          assert.equal(now, base, `move ${from} → ${to}: ${w.id} changed on both sides (a conflict, the server's value would stay)`);
          server = serverMove(server, w.id, w.position);
        }
        assert.deepEqual(server, target, `move ${from} → ${to}`);
        assert.deepEqual(
          writes.map((w) => w.position),
          [...writes.map((w) => w.position)].sort((x, y) => x - y),
          'in increasing position',
        );
      }
    }
  });
});
