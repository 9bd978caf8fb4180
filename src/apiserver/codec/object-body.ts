/**
 * Request bodies of create and update as objects: JSON or YAML (`yaml.ts`), or protobuf for the
 * few kinds kubectl 1.32+ sends so (`protobuf.ts`). A body that is not an object with an object
 * `metadata` is a 400, as on the real server.
 */
import type { KubeObject } from '../../core/index.js';
import { badRequest } from '../errors/status-errors.js';
import { decodeProtobufObject, isProtobuf } from './protobuf.js';
import { parseJsonOrYaml } from './yaml.js';

/** Parses a request body (JSON, YAML, or protobuf for the kinds kubectl sends so) as an object, 400 otherwise. */
export function parseObjectBody(body: Buffer | string): KubeObject {
  let parsed: unknown;
  if (typeof body !== 'string' && isProtobuf(body)) {
    // Throws a 415 Status for anything it cannot read.
    parsed = decodeProtobufObject(body);
  } else {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    parsed = parseJsonOrYaml(text, "couldn't get version/kind; json parse error: ");
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
