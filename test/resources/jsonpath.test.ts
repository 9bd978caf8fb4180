// kubectl JSONPath (client-go util/jsonpath) as printer columns and -o jsonpath use it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonPathError, parseJsonPath, printerColumnCell } from '../../src/resources/index.js';

const obj = {
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' }, creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: {
    replicas: 3,
    ratio: 0.5,
    paused: false,
    ports: [
      { name: 'http', port: 80 },
      { name: 'https', port: 443 },
    ],
  },
  status: {
    conditions: [
      { type: 'Progressing', status: 'True' },
      { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
    ],
  },
};

const CASES: [string, unknown[]][] = [
  ['.spec.replicas', [3]],
  ['{.spec.replicas}', [3]],
  ['.status.conditions[?(@.type=="Available")].status', ['False']],
  ["{.status.conditions[?(@.type=='Progressing')].status}", ['True']],
  ['.status.conditions[?(@.reason)].type', ['Available']],
  ['.spec.ports[?(@.port > 100)].name', ['https']],
  ['.spec.ports[?(@.port != 80)].port', [443]],
  ['.spec.ports[*].name', ['http', 'https']],
  ['.spec.ports[0].port', [80]],
  ['.spec.ports[-1].name', ['https']],
  ['.spec.ports[0:1].name', ['http']],
  ['.spec.ports[0,1].port', [80, 443]],
  [".metadata.labels['app.kubernetes.io/name']", ['web']],
  ['.metadata.labels.*', ['web']],
  ['..port', [80, 443]],
  ['.spec.missing', []],
];

describe('JSONPath', () => {
  for (const [path, want] of CASES) {
    it(path, () => assert.deepEqual(parseJsonPath(path).findResults(obj, { allowMissingKeys: true })[0], want));
  }
  it('templates mix text and actions', () => {
    assert.equal(parseJsonPath('{.metadata.name}: {.spec.ports[*].port}{"\\n"}').print(obj), 'web: 80 443\n');
  });
  it('missing keys are errors unless allowed', () => {
    assert.throws(() => parseJsonPath('.spec.missing').findResults(obj), /missing is not found/);
  });
  it('bad syntax is a JsonPathError', () => {
    assert.throws(() => parseJsonPath('{.spec.ports[}'), JsonPathError);
  });
});

describe('printer column cells', () => {
  it('converts to the column type as the server does', () => {
    assert.equal(
      printerColumnCell({ type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status' }, obj),
      'False',
    );
    assert.equal(printerColumnCell({ type: 'integer', jsonPath: '.spec.replicas' }, obj), 3);
    assert.equal(printerColumnCell({ type: 'integer', jsonPath: '.spec.ratio' }, obj), 0);
    assert.equal(printerColumnCell({ type: 'number', jsonPath: '.spec.ratio' }, obj), 0.5);
    assert.equal(printerColumnCell({ type: 'boolean', jsonPath: '.spec.paused' }, obj), false);
    assert.equal(printerColumnCell({ type: 'string', jsonPath: '.spec.ports[0]' }, obj), '{"name":"http","port":80}');
    assert.equal(printerColumnCell({ type: 'integer', jsonPath: '.spec.missing' }, obj), null);
    assert.equal(printerColumnCell({ type: 'boolean', jsonPath: '.spec.replicas' }, obj), null);
    assert.equal(
      printerColumnCell({ type: 'date', jsonPath: '.metadata.creationTimestamp' }, obj, { formatDate: () => '5d' }),
      '5d',
    );
    assert.equal(printerColumnCell({ type: 'date', jsonPath: '.metadata.name' }, obj), '<invalid>');
  });
});
