import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanDuration } from '../../../src/apiserver/codec/tables.js';

describe('humanDuration (kubectl ages)', () => {
  it('spells durations as kubectl does', () => {
    const s = 1000;
    assert.equal(humanDuration(45 * s), '45s');
    assert.equal(humanDuration(119 * s), '119s');
    assert.equal(humanDuration(302 * s), '5m2s');
    assert.equal(humanDuration(600 * s), '10m');
    assert.equal(humanDuration(3 * 3600 * s + 60 * s), '3h1m');
    assert.equal(humanDuration(20 * 3600 * s), '20h');
    assert.equal(humanDuration((2 * 24 + 5) * 3600 * s), '2d5h');
    assert.equal(humanDuration(30 * 24 * 3600 * s), '30d');
    assert.equal(humanDuration(-500), '0s');
  });
});
