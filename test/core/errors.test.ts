import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import {
  ApiError,
  KloopError,
  makeStatus,
  reasonForStatusCode,
  STATUS_REASONS,
  TerminalError,
} from '../../src/core/errors.js';
import { perRegistry } from '../../src/core/per-registry.js';

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
      causes: [{ reason: 'x', message: 'm' }],
    });
    const err = new ApiError(status);
    assert.equal(err.status, status);
    assert.equal(err.code, 'KLOOP_API_ERROR');
    assert.equal(err.statusCode, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.retryAfterSeconds, 3);
    assert.deepEqual(err.causes, [{ reason: 'x', message: 'm' }]);
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

describe('reasonForStatusCode', () => {
  it('reads a bare code as the API server would name it', () => {
    assert.equal(reasonForStatusCode(404), 'NotFound');
    assert.equal(reasonForStatusCode(409), 'Conflict');
    assert.equal(reasonForStatusCode(410), 'Expired');
    assert.equal(reasonForStatusCode(413), 'RequestEntityTooLarge');
    assert.equal(reasonForStatusCode(502), 'InternalError');
    assert.equal(reasonForStatusCode(418), 'Unknown');
  });
  it('answers from the one table: every reason of STATUS_REASONS maps back to its code', () => {
    for (const [reason, code] of Object.entries(STATUS_REASONS)) {
      assert.equal(STATUS_REASONS[reasonForStatusCode(code) as keyof typeof STATUS_REASONS], code, reason);
    }
  });
});

describe('perRegistry', () => {
  it('makes once per registry, again for another registry', () => {
    let made = 0;
    const metrics = perRegistry((registry) => ({ registry, n: ++made }));
    const a = new Registry();
    const b = new Registry();
    assert.equal(metrics(a), metrics(a));
    assert.notEqual(metrics(a), metrics(b));
    assert.equal(made, 2);
  });
});
