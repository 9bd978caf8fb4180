import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Condition,
  findCondition,
  isConditionTrue,
  removeCondition,
  setCondition,
} from '../../src/controller/conditions.js';
import { createMergePatch } from '../../src/core/merge-patch.js';

let tick = 0;
const clock = () => `2026-01-01T00:00:${String(++tick).padStart(2, '0')}Z`;

describe('setCondition', () => {
  it('keeps lastTransitionTime and the array itself when a pass sets the same condition: no status patch', () => {
    const first = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Progressing', message: '0/2' },
      clock,
    );
    const again = setCondition(first, { type: 'Ready', status: 'False', reason: 'Progressing', message: '0/2' }, clock);
    assert.equal(again, first, 'same array: nothing to write');
    assert.equal(createMergePatch({ status: { conditions: first } }, { status: { conditions: again } }), undefined);
  });

  it('keeps lastTransitionTime when only the reason or message changes, and moves it on a status flip', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Progressing', message: '0/2' }, clock);
    const since = first[0].lastTransitionTime;
    const progress = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'Progressing', message: '1/2' },
      clock,
    );
    assert.notEqual(progress, first);
    assert.equal(progress[0].lastTransitionTime, since);
    assert.equal(progress[0].message, '1/2');
    assert.equal(first[0].message, '0/2', 'the input is not modified');
    const ready = setCondition(
      progress,
      { type: 'Ready', status: 'True', reason: 'Available', message: '2/2', observedGeneration: 3 },
      clock,
    );
    assert.notEqual(ready[0].lastTransitionTime, since);
    assert.equal(ready[0].observedGeneration, 3);
    assert.equal(isConditionTrue(ready, 'Ready'), true);
  });

  it('appends new types in order, finds and removes them', () => {
    let list: Condition[] = setCondition(undefined, { type: 'A', status: 'True', reason: 'r', message: '' }, clock);
    list = setCondition(list, { type: 'B', status: 'Unknown', reason: 'r', message: '' }, clock);
    assert.deepEqual(
      list.map((c) => c.type),
      ['A', 'B'],
    );
    assert.equal(findCondition(list, 'B')?.status, 'Unknown');
    assert.equal(removeCondition(list, 'C'), list);
    assert.deepEqual(
      removeCondition(list, 'A').map((c) => c.type),
      ['B'],
    );
    assert.equal(isConditionTrue(list, 'B'), false);
  });
});
