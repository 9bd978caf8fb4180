import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, KloopError, makeStatus, TerminalError } from '../../src/core/errors.js';

describe('makeStatus', () => {
  it('builds the exact Kubernetes Status', () => {
    assert.deepEqual(makeStatus(404, 'NotFound', 'configmaps "a" not found', { name: 'a', kind: 'configmaps' }), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "a" not found',
      reason: 'NotFound',
      details: { name: 'a', kind: 'configmaps' },
      code: 404,
    });
    const ok = makeStatus(200, '', 'deleted');
    assert.equal(ok.status, 'Success');
    assert.equal('details' in ok, false);
  });
});

describe('ApiError', () => {
  it('carries the Status untouched and exposes its parts', () => {
    const status = makeStatus(429, 'TooManyRequests', 'slow down', {
      retryAfterSeconds: 3,
      causes: [{ type: 'x', message: 'm' }],
    });
    const err = new ApiError(status);
    assert.equal(err.status, status);
    assert.equal(err.code, 'KLOOP_API_ERROR');
    assert.equal(err.statusCode, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.retryAfterSeconds, 3);
    assert.deepEqual(err.causes, [{ type: 'x', message: 'm' }]);
    assert.equal(err.message, 'slow down');
    assert.ok(err instanceof KloopError);
    assert.equal(err.name, 'ApiError');
  });
  it('classifies NotFound, Conflict, AlreadyExists and Gone', () => {
    const nf = new ApiError(makeStatus(404, 'NotFound', 'x'));
    const cf = new ApiError(makeStatus(409, 'Conflict', 'x'));
    const ae = new ApiError(makeStatus(409, 'AlreadyExists', 'x'));
    const gone = new ApiError(makeStatus(410, 'Expired', 'x'));
    assert.deepEqual(
      [ApiError.isNotFound(nf), ApiError.isNotFound(cf), ApiError.isNotFound(new Error('x'))],
      [true, false, false],
    );
    assert.deepEqual([ApiError.isConflict(cf), ApiError.isConflict(ae)], [true, false]);
    assert.deepEqual([ApiError.isAlreadyExists(ae), ApiError.isAlreadyExists(cf)], [true, false]);
    assert.deepEqual([ApiError.isGone(gone), ApiError.isGone(nf)], [true, false]);
  });
});

describe('TerminalError', () => {
  it('wraps its cause', () => {
    const cause = new Error('bad spec');
    const err = new TerminalError(cause);
    assert.equal(err.code, 'KLOOP_TERMINAL');
    assert.equal(err.cause, cause);
    assert.equal(err.message, 'bad spec');
  });
});
