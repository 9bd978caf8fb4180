/**
 * `POST pods/{name}/binding` (pkg/registry/core/pod/storage/storage.go, `BindingREST`): what
 * kube-scheduler (or a custom scheduler under test) sends to place a Pod. A `Binding` whose
 * `target` is a Node name sets `spec.nodeName`, merges the Binding's annotations into the Pod's
 * and sets `PodScheduled=True`, in one guaranteed update of the stored Pod (no managedFields
 * entry, as upstream's storage-level update records none). The answer is `Status Success`, 201.
 *
 * Refusals as upstream: a name that differs from the URL's is a 400; a Pod already bound, being
 * deleted, or held by scheduling gates, and a stale `uid` or `resourceVersion`, are 409 Conflicts
 * on `pods/binding`; an invalid target is `ValidatePodBinding`'s aggregate, which the real server
 * answers as a 500 internal error.
 */
import { isPlainObject, makeStatus } from '../../core/index.js';
import { parseObjectBody } from '../codec/object-body.js';
import { badRequest, internalError } from '../errors/status-errors.js';
import { mediaType } from '../http/io.js';
import { bindPod } from '../registry/binding.js';
import { type HandlerResult, isDryRun, type ResourceRequest } from './request.js';
import { checkDryRun } from './write.js';

/** POST /api/v1/namespaces/{ns}/pods/{name}/binding. */
export async function handleBinding(r: ResourceRequest): Promise<HandlerResult> {
  checkDryRun(r.query);
  // JSON, YAML or protobuf (kube-scheduler's typed client sends protobuf).
  const binding = parseObjectBody(await r.body(), mediaType(r.req.headers['content-type']), {
    apiVersion: 'v1',
    kind: 'Binding',
    custom: false,
  });
  const name = r.target.name ?? '';
  if (binding.kind !== undefined && binding.kind !== 'Binding') {
    throw badRequest(`the kind in the data (${String(binding.kind)}) does not match the expected kind (Binding)`);
  }
  if (binding.metadata.name !== name) throw badRequest('name in URL does not match name in Binding object');
  const target = isPlainObject(binding.target) ? binding.target : {};
  const errors: string[] = [];
  if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
    errors.push(`target.kind: Unsupported value: ${JSON.stringify(target.kind)}: supported values: "Node", "<empty>"`);
  }
  if (typeof target.name !== 'string' || target.name === '') errors.push('target.name: Required value');
  if (errors.length > 0) throw internalError(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  const node = String(target.name);

  const current = r.cluster.getOrThrow(r.served, r.target.namespace, name);
  const annotations = isPlainObject(binding.metadata.annotations)
    ? (binding.metadata.annotations as Record<string, string>)
    : undefined;
  bindPod(
    r.cluster,
    r.served,
    current,
    {
      node,
      ...(annotations ? { annotations } : {}),
      ...(typeof binding.metadata.uid === 'string' ? { uid: binding.metadata.uid } : {}),
      ...(typeof binding.metadata.resourceVersion === 'string'
        ? { resourceVersion: binding.metadata.resourceVersion }
        : {}),
    },
    { dryRun: isDryRun(r.query) },
  );
  const status = makeStatus(201, '', '');
  delete status.message;
  delete status.reason;
  return { code: 201, json: JSON.stringify(status) };
}
