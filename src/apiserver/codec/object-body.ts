/**
 * Request bodies of create and update as objects: JSON or YAML (`yaml.ts`), or protobuf for any
 * built-in kind (`protobuf.ts`), chosen by the Content-Type as the API server's input
 * negotiation does. A body that is not an object with an object `metadata` is a 400, as on the
 * real server.
 */
import type { KubeObject } from '../../core/index.js';
import { badRequest } from '../errors/status-errors.js';
import { decodeProtobufObject, isProtobufMediaType, type ProtobufEndpoint } from './protobuf.js';
import { BodyLimitError, checkYamlFlowDepth, parseJsonOrYaml, summarizeBody } from './yaml.js';

/**
 * The 400 of a body a decoder refused for a limit (`handlers/rest.go` `transformDecodeError`: the
 * kind could not be read, so the text names the endpoint's kind and quotes the body's start).
 */
function decodeLimitError(err: BodyLimitError, body: Buffer | string, kind: string): Error {
  const inner = err.message.startsWith('yaml: ')
    ? err.message
    : `couldn't get version/kind; json parse error: ${err.message}`;
  return badRequest(`the object provided is unrecognized (must be of type ${kind}): ${inner} (${summarizeBody(body)})`);
}

/**
 * Parses a request body as an object, 400 otherwise. `mediaType` is the Content-Type without
 * parameters; protobuf bodies decode as the endpoint's kind when their envelope names none.
 *
 * @example
 * ```ts
 * parseObjectBody(Buffer.from('{"metadata":{"name":"a"}}'), 'application/json', {
 *   apiVersion: 'v1',
 *   kind: 'ConfigMap',
 *   custom: false,
 * }); // { metadata: { name: 'a' } }
 * ```
 */
export function parseObjectBody(body: Buffer | string, mediaType: string, endpoint: ProtobufEndpoint): KubeObject {
  let parsed: unknown;
  if (typeof body !== 'string' && isProtobufMediaType(mediaType)) {
    parsed = decodeProtobufObject(body, endpoint);
  } else {
    try {
      // A YAML endpoint reads JSON as YAML: go-yaml's limits and texts apply.
      if (mediaType === 'application/yaml') checkYamlFlowDepth(body);
      parsed = parseJsonOrYaml(body, "couldn't get version/kind; json parse error: ");
    } catch (err) {
      if (err instanceof BodyLimitError) throw decodeLimitError(err, body, endpoint.kind);
      throw err;
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest('the body of the request must be a JSON object');
  }
  const obj = parsed as KubeObject;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  else if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
    throw badRequest('metadata must be a JSON object');
  }
  return obj;
}
