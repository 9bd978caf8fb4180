/**
 * JSON and YAML request bodies. kubectl and client libraries send JSON (which is YAML), but the API
 * accepts YAML for create, update and `application/apply-patch+yaml`, and hand-written tests
 * send it. Bodies are read as JSON first (the fast, common case) and as YAML only when that
 * fails, with js-yaml (already installed as a dependency of @kubernetes/client-node).
 *
 * YAML is read with the YAML 1.2 core schema, so timestamps stay strings as in Kubernetes'
 * YAML-to-JSON conversion, and multi-document streams are refused (one object per request).
 *
 * Both readers enforce the decoders' limits before anything else walks the value
 * (`limits/nesting.ts`, `limits/yaml-aliases.ts`): nesting past the limit and YAML alias bombs
 * are a {@link BodyLimitError} carrying the Go decoder's text, which each endpoint wraps as the
 * API server does.
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import { badRequest } from '../errors/status-errors.js';
import { API_SERVER_MAX_DEPTH, goJsonDepthMessage, jsonDepthViolation, MAX_NESTING_DEPTH } from '../limits/nesting.js';
import { checkYamlAliases, ExcessiveAliasingError, unshareAliases } from '../limits/yaml-aliases.js';

/**
 * A body a decoder refuses for its size or shape rather than its syntax: nesting too deep, or a
 * YAML alias bomb. `message` is the Go decoder's own text (`invalid character '[' exceeded max
 * depth`, `yaml: document contains excessive aliasing`).
 */
export class BodyLimitError extends Error {}

/** The text of a body: bytes as UTF-8. */
function textOf(body: Buffer | string): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

function bytesOf(body: Buffer | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** True when a body starts (after white space) like a JSON object or array. */
function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

/**
 * Parses JSON text as Go's `encoding/json` would accept it depth-wise: nesting past the limit is a
 * {@link BodyLimitError} with Go's text; a syntax error is JSON.parse's `SyntaxError`.
 *
 * @example
 * ```ts
 * parseJsonLimited(Buffer.from('{"a":[1]}')); // { a: [1] }
 * ```
 */
export function parseJsonLimited(body: Buffer | string): unknown {
  const violation = jsonDepthViolation(bytesOf(body));
  if (violation) throw new BodyLimitError(goJsonDepthMessage(violation));
  return JSON.parse(textOf(body));
}

/** go-yaml's text for nesting past the limit (`scannerc.go`), with its line when past the first. */
function yamlDepthMessage(body: Buffer | string, line: number | undefined): string {
  // The API server's own limit when the text nests past it, the emulator's otherwise.
  const limit = jsonDepthViolation(bytesOf(body), API_SERVER_MAX_DEPTH) ? API_SERVER_MAX_DEPTH : MAX_NESTING_DEPTH;
  const where = line !== undefined && line > 0 ? `line ${line + 1}: ` : '';
  return `yaml: ${where}exceeded max depth of ${limit}`;
}

/**
 * js-yaml's options: the core schema, JSON-compatible duplicate keys, and its nesting limit
 * (js-yaml 4.3's `maxDepth`, which its type definitions do not name yet) at the emulator's.
 */
const YAML_OPTIONS = { schema: CORE_SCHEMA, json: true, maxDepth: MAX_NESTING_DEPTH };

/**
 * Refuses a JSON-looking body nested past the limit as go-yaml does (JSON is YAML's flow style,
 * whose levels go-yaml counts the same way): for JSON text sent to a YAML endpoint.
 */
export function checkYamlFlowDepth(body: Buffer | string): void {
  if (!looksLikeJson(textOf(body))) return;
  if (jsonDepthViolation(bytesOf(body))) throw new BodyLimitError(yamlDepthMessage(body, undefined));
}

/**
 * Parses YAML as go-yaml's limits allow: nesting past the limit and alias bombs are a
 * {@link BodyLimitError} with go-yaml's text; other YAML errors are js-yaml's. The value has no
 * shared objects (aliases are copied once they passed the check).
 */
export function parseYamlLimited(body: Buffer | string): unknown {
  const text = textOf(body);
  checkYamlFlowDepth(body);
  let value: unknown;
  try {
    value = load(text, YAML_OPTIONS);
  } catch (err) {
    const reason = (err as { reason?: unknown }).reason;
    if (typeof reason === 'string' && reason.startsWith('nesting exceeded maxDepth')) {
      const line = (err as { mark?: { line?: number } }).mark?.line;
      throw new BodyLimitError(yamlDepthMessage(body, line));
    }
    throw err;
  }
  try {
    return checkYamlAliases(value) ? unshareAliases(value) : value;
  } catch (err) {
    if (err instanceof ExcessiveAliasingError) throw new BodyLimitError(err.message);
    throw err;
  }
}

/**
 * Parses a body that is JSON or YAML; a 400 BadRequest Status (thrown) when it is neither. A body
 * that starts with `{` or `[` is JSON: its error is `jsonErrorPrefix` and the parser's message.
 * Decoder limits are a {@link BodyLimitError} (the caller words it as its endpoint does).
 *
 * @example
 * ```ts
 * parseJsonOrYaml('{"a":1}', 'json parse error: ');           // { a: 1 }
 * parseJsonOrYaml('a: 1\nb: [x, y]\n', 'json parse error: '); // { a: 1, b: ['x', 'y'] }
 * ```
 */
export function parseJsonOrYaml(body: Buffer | string, jsonErrorPrefix: string): unknown {
  const text = textOf(body);
  if (looksLikeJson(text)) {
    const violation = jsonDepthViolation(bytesOf(body));
    if (violation) throw new BodyLimitError(goJsonDepthMessage(violation));
    try {
      return JSON.parse(text);
    } catch (jsonError) {
      // A body that starts like JSON and fails is broken JSON: report the JSON error.
      throw badRequest(`${jsonErrorPrefix}${(jsonError as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: YAML below.
  }
  try {
    return parseYamlLimited(body);
  } catch (err) {
    if (err instanceof BodyLimitError) throw err;
    throw badRequest(`error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * The start of a body as the API server quotes it in a decode error (`handlers/rest.go`
 * `summarizeData`): up to 30 bytes, as text when the body starts with `{`, as hex otherwise.
 */
export function summarizeBody(body: Buffer | string, maxLength = 30): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes.length === 0) return '<empty>';
  const head = bytes.subarray(0, maxLength);
  const more = bytes.length > maxLength ? ' ...' : '';
  return bytes[0] === 0x7b ? `${head.toString('utf8')}${more}` : `${head.toString('hex')}${more}`;
}
