/**
 * `NewInvalid` names the kind with its group (`schema.GroupKind.String()`): `Job.batch "x" is
 * invalid`, `Deployment.apps ...`, `Widget.example.com ...`; core kinds stay bare (`Pod "p"`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalid } from '../../../src/apiserver/errors/status-errors.js';

const cause = { type: 'FieldValueRequired' as const, message: 'Required value', field: 'spec.x' };

describe('invalid() names the kind as the real server does', () => {
  it('qualifies a grouped kind with its group in the message, not in details.kind', () => {
    const err = invalid({ group: 'batch', plural: 'jobs', kind: 'Job' }, 'x', [cause]);
    assert.equal(err.status.message, 'Job.batch "x" is invalid: spec.x: Required value');
    assert.equal(err.status.details?.kind, 'Job');
    assert.equal(err.status.details?.group, 'batch');
    const apps = invalid({ group: 'apps', plural: 'deployments', kind: 'Deployment' }, 'web', [cause]);
    assert.equal(apps.status.message, 'Deployment.apps "web" is invalid: spec.x: Required value');
    const custom = invalid({ group: 'example.com', plural: 'widgets', kind: 'Widget' }, 'w', [cause]);
    assert.equal(custom.status.message, 'Widget.example.com "w" is invalid: spec.x: Required value');
  });

  it('leaves core kinds bare', () => {
    const err = invalid({ group: '', plural: 'pods', kind: 'Pod' }, 'p', [cause, { ...cause, field: 'spec.y' }]);
    assert.equal(err.status.message, 'Pod "p" is invalid: [spec.x: Required value, spec.y: Required value]');
    assert.equal(err.status.details?.group, undefined);
  });
});
