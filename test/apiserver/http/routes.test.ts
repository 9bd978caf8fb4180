import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePath } from '../../../src/apiserver/http/routes.js';

describe('parsePath', () => {
  const cases: [string, unknown][] = [
    ['/api', { kind: 'discovery', level: 'api' }],
    ['/api/v1', { kind: 'discovery', level: 'groupVersion', group: '', version: 'v1' }],
    ['/apis', { kind: 'discovery', level: 'apis' }],
    ['/apis/apps', { kind: 'discovery', level: 'group', group: 'apps' }],
    ['/apis/apps/v1', { kind: 'discovery', level: 'groupVersion', group: 'apps', version: 'v1' }],
    ['/api/v1/pods', { kind: 'resource', group: '', version: 'v1', plural: 'pods' }],
    ['/api/v1/namespaces', { kind: 'resource', group: '', version: 'v1', plural: 'namespaces' }],
    ['/api/v1/namespaces/ns1', { kind: 'resource', group: '', version: 'v1', plural: 'namespaces', name: 'ns1' }],
    [
      '/api/v1/namespaces/ns1/status',
      { kind: 'resource', group: '', version: 'v1', plural: 'namespaces', name: 'ns1', subresource: 'status' },
    ],
    [
      '/api/v1/namespaces/ns1/configmaps',
      { kind: 'resource', group: '', version: 'v1', namespace: 'ns1', plural: 'configmaps' },
    ],
    [
      '/apis/apps/v1/namespaces/ns1/deployments/web/status',
      {
        kind: 'resource',
        group: 'apps',
        version: 'v1',
        namespace: 'ns1',
        plural: 'deployments',
        name: 'web',
        subresource: 'status',
      },
    ],
    [
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/a%20b',
      {
        kind: 'resource',
        group: 'coordination.k8s.io',
        version: 'v1',
        namespace: 'kube-system',
        plural: 'leases',
        name: 'a b',
      },
    ],
    [
      '/api/v1/watch/namespaces/x/pods',
      { kind: 'resource', group: '', version: 'v1', namespace: 'x', plural: 'pods', watchPrefix: true },
    ],
    ['/version', { kind: 'fixed', name: 'version' }],
    ['/healthz', { kind: 'fixed', name: 'healthz' }],
    ['/readyz/ping', { kind: 'fixed', name: 'readyz' }],
    ['/livez', { kind: 'fixed', name: 'livez' }],
    ['/openapi/v2', { kind: 'fixed', name: 'openapi-v2' }],
    ['/openapi/v3', { kind: 'fixed', name: 'openapi-v3' }],
    ['/openapi/v3/apis/apps/v1', { kind: 'fixed', name: 'openapi-v3', document: 'apis/apps/v1' }],
    // Dot segments are names, never resolved: `..` names the object `..`, not the namespace.
    [
      '/api/v1/namespaces/victim/configmaps/%2E%2E',
      { kind: 'resource', group: '', version: 'v1', namespace: 'victim', plural: 'configmaps', name: '..' },
    ],
    [
      '/api/v1/namespaces/victim/configmaps/..',
      { kind: 'resource', group: '', version: 'v1', namespace: 'victim', plural: 'configmaps', name: '..' },
    ],
    ['/api/v1/namespaces/%2e', { kind: 'resource', group: '', version: 'v1', plural: 'namespaces', name: '.' }],
    [
      '/api/v1/namespaces/x/pods/../secrets',
      {
        kind: 'resource',
        group: '',
        version: 'v1',
        namespace: 'x',
        plural: 'pods',
        name: '..',
        subresource: 'secrets',
      },
    ],
    // An escaped slash separates segments, as in Go's decoded URL.Path.
    [
      '/api/v1/namespaces/x/configmaps/a%2Fb',
      { kind: 'resource', group: '', version: 'v1', namespace: 'x', plural: 'configmaps', name: 'a', subresource: 'b' },
    ],
    [
      '/api/v1/namespaces/x/configmaps/a%25b',
      { kind: 'resource', group: '', version: 'v1', namespace: 'x', plural: 'configmaps', name: 'a%b' },
    ],
    ['/api/v1/namespaces//configmaps', { kind: 'unknown' }],
    [
      '/api/v1/namespaces/x/configmaps/',
      { kind: 'resource', group: '', version: 'v1', namespace: 'x', plural: 'configmaps' },
    ],
    ['/', { kind: 'unknown' }],
    ['/foo', { kind: 'unknown' }],
    ['/api/v1/a/b/c/d', { kind: 'unknown' }],
    ['/api/v1/namespaces/x/a/b/c/d', { kind: 'unknown' }],
    ['/api/v1/%E0%A4%A', { kind: 'malformed' }],
    ['/api/v1/namespaces/%zz', { kind: 'malformed' }],
  ];
  for (const [path, expected] of cases) {
    it(path, () => assert.deepEqual(parsePath(path), expected));
  }
});
