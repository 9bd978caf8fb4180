import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../src/apiserver/errors/status-errors.js';
import { decodeContinue, encodeContinue } from '../../../src/apiserver/storage/continue-token.js';

function isBadRequest(err: unknown): boolean {
  return (
    err instanceof StatusError && err.status.code === 400 && /^invalid continue token/.test(String(err.status.message))
  );
}

describe('continue tokens', () => {
  it('round-trips and uses the real server format', () => {
    const token = encodeContinue({ revision: 42, start: 'name-7\u0000' });
    assert.doesNotMatch(token, /[+/=]/, 'base64url without padding');
    const json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    assert.deepEqual(json, { v: 'meta.k8s.io/v1', rv: 42, start: 'name-7\u0000' });
    assert.deepEqual(decodeContinue(token), { revision: 42, start: 'name-7\u0000' });
  });

  it('rejects malformed tokens with a 400', () => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const bad of [
      '!!!',
      Buffer.from('not json').toString('base64url'),
      enc([1]),
      enc({ v: 'other', rv: 1, start: 'a' }),
      enc({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' }),
      enc({ v: 'meta.k8s.io/v1', rv: '5', start: 'a' }),
      enc({ v: 'meta.k8s.io/v1', rv: 5, start: '' }),
      enc({ v: 'meta.k8s.io/v1', rv: 5, start: '../x' }),
      enc({ v: 'meta.k8s.io/v1', rv: 5, start: '/abs' }),
    ]) {
      assert.throws(() => decodeContinue(bad), isBadRequest, bad);
    }
  });
});
