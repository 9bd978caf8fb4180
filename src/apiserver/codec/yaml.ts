/**
 * YAML request bodies. kubectl and client libraries send JSON (which is YAML), but the API
 * accepts YAML for create, update and `application/apply-patch+yaml`, and hand-written tests
 * send it. Bodies are read as JSON first (the fast, common case) and as YAML only when that
 * fails, with js-yaml (already installed as a dependency of @kubernetes/client-node).
 *
 * YAML is read with the YAML 1.2 core schema, so timestamps stay strings as in Kubernetes'
 * YAML-to-JSON conversion, and multi-document streams are refused (one object per request).
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import { badRequest } from '../errors/status-errors.js';

/**
 * Parses a body that is JSON or YAML; a 400 BadRequest Status (thrown) when it is neither. A body
 * that starts with `{` or `[` is JSON: its error is `jsonErrorPrefix` and the parser's message.
 *
 * @example
 * ```ts
 * parseJsonOrYaml('{"a":1}', 'json parse error: ');           // { a: 1 }
 * parseJsonOrYaml('a: 1\nb: [x, y]\n', 'json parse error: '); // { a: 1, b: ['x', 'y'] }
 * ```
 */
export function parseJsonOrYaml(text: string, jsonErrorPrefix: string): unknown {
  try {
    return JSON.parse(text);
  } catch (jsonError) {
    // A body that starts like JSON and fails is broken JSON: report the JSON error.
    const first = text.trimStart()[0];
    if (first === '{' || first === '[') {
      throw badRequest(`${jsonErrorPrefix}${(jsonError as Error).message}`);
    }
  }
  try {
    return load(text, { schema: CORE_SCHEMA, json: true });
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}
