import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKubeVersions } from '../../../src/apiserver/served/served-types.js';

describe('served types', () => {
  it('orders versions GA, beta, alpha, higher first', () => {
    assert.deepEqual(['v1alpha1', 'v1beta1', 'v2', 'v1', 'v2beta2', 'v2beta1', 'foo'].sort(compareKubeVersions), [
      'v2',
      'v1',
      'v2beta2',
      'v2beta1',
      'v1beta1',
      'v1alpha1',
      'foo',
    ]);
  });
});
