/**
 * PATCH in its four media types (`k8s.io/apiserver/pkg/endpoints/handlers/patch.go`): JSON patch
 * (RFC 6902), merge patch (RFC 7386), strategic merge patch (built-ins only; custom resources
 * answer 415) and a first server-side apply (create-or-merge; field ownership comes with the SSA
 * engine). The patch runs on a private copy of the stored object and the result goes through the
 * same update path as a PUT, so preconditions, no-op detection and lifecycle rules are shared.
 */
import {
  applyMergePatch,
  applyStrategicMergePatch,
  isPlainObject,
  type JsonObject,
  type JsonPatchOperation,
  KloopError,
  type KubeObject,
  keyString,
  PatchError,
} from '../../core/index.js';
import { goDecodeError } from '../codec/go-json-types.js';
import { BodyLimitError, checkYamlFlowDepth, parseJsonLimited, parseJsonOrYaml } from '../codec/yaml.js';
import {
  badRequest,
  failureStatus,
  invalid,
  notFound,
  StatusError,
  statusError,
  unprocessable,
  unsupportedMediaType,
} from '../errors/status-errors.js';
import { writeOptions } from '../handlers/options.js';
import {
  fieldValidationOf,
  type HandlerResult,
  isDryRun,
  managerOf,
  type ResourceRequest,
} from '../handlers/request.js';
import { fromStorage, unknownFieldsOf, withWarnings } from '../handlers/write.js';
import { mediaType } from '../http/io.js';
import { applyJsonPatchWithinLimits, patchNotApplied } from '../limits/json-patch.js';
import { listKeysOf } from '../registry/managed-fields.js';
import { PATCH_APPLY_YAML, PATCH_JSON, PATCH_MERGE, refOf } from '../served/served-types.js';
import { applyConflictStatus, applyServerSide } from '../ssa/index.js';
import { checkNamespace, checkTypeMeta } from '../validation/objects.js';

function parseJson(buf: Buffer, what: string): unknown {
  try {
    return parseJsonLimited(buf);
  } catch (err) {
    throw badRequest(`error decoding ${what}: ${(err as Error).message}`);
  }
}

/**
 * The patch body as JSON. Nesting past the limit fails as the API server's readers fail it: the
 * strict reader of JSON and merge patches (`error decoding patch: invalid character '[' exceeded
 * max depth`; with `fieldValidation=Ignore`, evanphx's `Invalid JSON Patch` for merge patches and
 * the bare text for JSON patches), the bare text for strategic merge patches.
 */
function parsePatch(buf: Buffer, type: string, directive: 'Ignore' | 'Warn' | 'Strict'): unknown {
  try {
    return parseJsonLimited(buf);
  } catch (err) {
    if (!(err instanceof BodyLimitError)) throw badRequest(`error decoding patch: ${(err as Error).message}`);
    if (type !== PATCH_JSON && type !== PATCH_MERGE) throw badRequest(err.message);
    if (directive !== 'Ignore') throw badRequest(`error decoding patch: ${err.message}`);
    throw badRequest(type === PATCH_MERGE ? 'Invalid JSON Patch' : err.message);
  }
}

function patchFailed(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  if (err instanceof PatchError && err.copyLimit !== undefined) return patchNotApplied(err);
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof PatchError && err.code === 'KLOOP_INVALID_PATCH') return badRequest(message);
  // The real server answers a patch that decodes but does not apply with a bare 422.
  return unprocessable(message);
}

function invalidOptions(message: string, field: string): StatusError {
  return statusError('Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'meta.k8s.io',
    kind: 'PatchOptions',
    causes: [{ reason: 'FieldValueRequired', message, field }],
  });
}

/** PATCH /.../{plural}/{name}[/status]. */
export async function handlePatch(r: ResourceRequest): Promise<HandlerResult> {
  const options = writeOptions(r.query, 'PatchOptions');
  const type = mediaType(r.req.headers['content-type']);
  if (!r.served.patchTypes.includes(type)) throw unsupportedMediaType(r.served.patchTypes);
  const raw = await r.body();
  const name = r.target.name ?? '';
  const dryRun = isDryRun(r.query);
  if (type === PATCH_APPLY_YAML) return apply(r, raw, name, dryRun);
  const current = r.cluster.getOrThrow(r.served, r.target.namespace, name);
  const doc = fromStorage(r, JSON.parse(current.json) as KubeObject);
  let patched: unknown;
  if (type === PATCH_JSON) {
    const ops = parsePatch(raw, type, options.fieldValidation);
    if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    try {
      patched = applyJsonPatchWithinLimits(doc, ops as JsonPatchOperation[]);
    } catch (err) {
      throw patchFailed(err);
    }
  } else {
    const patch = parsePatch(raw, type, options.fieldValidation);
    if (!isPlainObject(patch)) throw badRequest('the patch must be a JSON object');
    try {
      patched =
        type === PATCH_MERGE
          ? applyMergePatch(doc, patch)
          : applyStrategicMergePatch(doc, patch, { apiVersion: r.served.type.apiVersion, kind: r.served.type.kind });
    } catch (err) {
      throw patchFailed(err);
    }
  }
  const warnings = strictPatchWarnings(r, type, raw, patched, options.fieldValidation);
  return withWarnings(
    updateFromPatched(r, current, patched, name, dryRun, managerOf(r.query, r.req.headers['user-agent'])),
    warnings,
  );
}

/** JSON with object keys sorted, as Go writes a `map[string]interface{}`. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): exponent from 1e+06 up. */
function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) {
    const exp = Math.abs(n) >= 1 ? Math.floor(Math.log10(Math.abs(n))) : 0;
    if (exp < 6) return String(n);
  }
  const text = n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  const [mantissa, exponent] = text.split('e');
  const e = Number(exponent);
  if (e >= -4 && e < 6) return String(n);
  return `${mantissa}e${exponent}`;
}

/** Go's `%+v` of a decoded JSON value (`map[a:1 b:[x y]]`), as the strategic-merge 422 shows the patch. */
function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (isPlainObject(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((k) => `${k}:${goValue(value[k])}`)
      .join(' ')}]`;
  }
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFloat(value);
  return String(value);
}

/**
 * Unknown fields of a patched built-in object (`handlers/patch.go`): removed from it; with
 * `Strict` a 422 whose one cause is `patch: Invalid value: "<patched object or patch>": strict
 * decoding error: unknown field "spec.foo"`; with `Warn` one warning each.
 */
function strictPatchWarnings(
  r: ResourceRequest,
  type: string,
  raw: Buffer,
  patched: unknown,
  directive: 'Ignore' | 'Warn' | 'Strict',
): string[] {
  if (!isPlainObject(patched) || r.served.custom) return [];
  // A JSON or merge patch whose result does not decode into the Go type (`replicas: "two"`):
  // the same 422 with the decoder's error, whatever `fieldValidation` says.
  const typeError = type === PATCH_JSON || type === PATCH_MERGE ? goDecodeError(patched as JsonObject) : undefined;
  if (typeError !== undefined) {
    const body = `Invalid value: ${JSON.stringify(sortedJson(patched))}: ${typeError}`;
    throw new StatusError(
      failureStatus('Invalid', ` "" is invalid: patch: ${body}`, {
        causes: [{ reason: 'FieldValueInvalid', message: body, field: 'patch' }],
      }),
    );
  }
  if (directive === 'Ignore') return [];
  // The value shown: the patched object for JSON and merge patches, the patch for strategic ones.
  const shown = directive === 'Strict' ? (type === PATCH_JSON || type === PATCH_MERGE ? sortedJson(patched) : '') : '';
  const unknown = unknownFieldsOf(r, patched as KubeObject, directive);
  if (unknown.length === 0) return [];
  const texts = unknown.map((path) => `unknown field ${JSON.stringify(path)}`);
  if (directive === 'Warn') return texts;
  const value = shown !== '' ? shown : goValue(parseJson(raw, 'patch'));
  const body = `Invalid value: ${JSON.stringify(value)}: strict decoding error: ${texts.join(', ')}`;
  throw new StatusError(
    failureStatus('Invalid', ` "" is invalid: patch: ${body}`, {
      causes: [{ reason: 'FieldValueInvalid', message: body, field: 'patch' }],
    }),
  );
}

function updateFromPatched(
  r: ResourceRequest,
  current: ReturnType<ResourceRequest['cluster']['getOrThrow']>,
  patched: unknown,
  name: string,
  dryRun: boolean,
  manager: string | undefined,
): HandlerResult {
  if (!isPlainObject(patched) || !isPlainObject(patched.metadata))
    throw badRequest('the patched object is not a valid object');
  const obj = patched as KubeObject;
  checkTypeMeta(obj, r.served);
  if (obj.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  checkNamespace(obj, r.served, r.target.namespace);
  return r.cluster.update(r.served, current, obj, r.target.subresource, {
    dryRun,
    verb: 'patch',
    fieldValidation: fieldValidationOf(r.query),
    ...(manager !== undefined ? { manager } : {}),
  });
}

/**
 * The applied configuration: YAML (JSON is YAML), read as `sigs.k8s.io/yaml` reads it, so its
 * limits fail as `error decoding YAML: error converting YAML to JSON: yaml: ...`.
 */
function parseApplied(raw: Buffer): unknown {
  try {
    checkYamlFlowDepth(raw);
    return parseJsonOrYaml(raw, 'error decoding YAML: ');
  } catch (err) {
    if (err instanceof BodyLimitError) {
      throw badRequest(`error decoding YAML: error converting YAML to JSON: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Server-side apply through the SSA engine: `fieldManager`
 * required; field ownership in managedFields; a field another manager owns with a different
 * value is a 409 with FieldManagerConflict causes unless `force=true`; fields this manager
 * applied before and now omits are removed unless someone else owns them. A missing object is
 * created (201). On a type with a status subresource the main endpoint ignores `.status` and
 * `/status` ignores everything else.
 */
function apply(r: ResourceRequest, raw: Buffer, name: string, dryRun: boolean): HandlerResult {
  const manager = r.query.get('fieldManager');
  if (!manager) throw invalidOptions('Required value: is required for apply patch', 'fieldManager');
  const force = r.query.get('force');
  if (force !== null && force !== 'true' && force !== 'false') {
    throw badRequest(`invalid value for force: ${JSON.stringify(force)}`);
  }
  const applied = parseApplied(raw);
  if (!isPlainObject(applied)) throw badRequest('error decoding YAML: the applied configuration must be an object');
  const obj = applied as KubeObject;
  if (!isPlainObject(obj.metadata)) obj.metadata = {};
  if (obj.metadata.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    throw badRequest("Object 'Kind' is missing in the applied configuration");
  }
  checkTypeMeta(obj, r.served);
  if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  obj.metadata.name = name;
  checkNamespace(obj, r.served, r.target.namespace);
  const key = keyString({ namespace: r.served.type.namespaced ? r.target.namespace : undefined, name });
  const current = r.cluster.store(r.served).get(key);
  const subresource = r.target.subresource;
  if (!current && subresource !== undefined) throw notFound(refOf(r.served), name);
  let ignoreFields: ((path: readonly string[]) => boolean) | undefined;
  if (subresource === 'status') ignoreFields = (path) => path[0] !== 'status' && path[0] !== 'metadata';
  else if (r.served.hasStatus) ignoreFields = (path) => path[0] === 'status';
  let result: ReturnType<typeof applyServerSide>;
  try {
    result = applyServerSide({
      live: current ? fromStorage(r, current.object) : undefined,
      applied: obj,
      manager,
      force: force === 'true',
      apiVersion: r.served.type.apiVersion,
      listKeys: listKeysOf(r.served),
      ...(subresource !== undefined ? { subresource } : {}),
      ...(ignoreFields ? { ignoreFields } : {}),
    });
  } catch (err) {
    if (err instanceof KloopError) {
      throw invalid(refOf(r.served), name, [{ reason: 'FieldValueInvalid', message: err.message }]);
    }
    throw err;
  }
  if (!result.ok) {
    const details: { name: string; group?: string; kind: string } = { name, kind: r.served.type.plural };
    if (r.served.type.group !== '') details.group = r.served.type.group;
    throw new StatusError(applyConflictStatus(result.conflicts, details));
  }
  const object = JSON.parse(JSON.stringify(result.object)) as KubeObject;
  if (!current)
    return r.cluster.create(r.served, object, {
      dryRun,
      verb: 'patch',
      fieldValidation: fieldValidationOf(r.query),
    });
  return updateFromPatched(r, current, object, name, dryRun, undefined);
}
