/**
 * `client.direct`: writes sent exactly as given, with `KubeClient`'s verbs and options, for what
 * the cached client's own verbs do not cover (a PUT, a patch of your own, a subresource such as
 * `scale`, a delete with `propagationPolicy`). No diff, no skipping, no conflict retry; but the
 * same fence, attribution and read-your-writes as every other write of the view it belongs to.
 */
import type { DeleteOptions, PatchOptions, WriteOptions } from '../client/index.js';
import {
  type FencedRequest,
  type JsonPatchOperation,
  type KubeObject,
  keyOf,
  type ObjectKey,
  type TypeRef,
} from '../core/index.js';
import type { DirectWriter, WriteTransport } from './types.js';
import { bodyFields, ClientUsageError, typeOf } from './writes.js';

/** What a direct writer needs from the cached client view it belongs to. */
export interface DirectWriterHooks {
  transport: WriteTransport;
  fieldManager(): string;
  /** The fence's answer for a write about to be sent (its signal merged with the caller's); throws when closed. */
  fence(type: TypeRef, key: ObjectKey, own: AbortSignal | undefined): FencedRequest;
  /** A write the server answered: recorded for read-your-writes and attributed. */
  written(
    type: TypeRef,
    key: ObjectKey,
    kind: string,
    fields: string[],
    json: string,
    object: KubeObject,
  ): Promise<void>;
  /** A delete the server answered. */
  deleted(type: TypeRef, key: ObjectKey, answer: unknown): Promise<void>;
}

/** The `direct` writer of one cached client view. */
export function directWriter(hooks: DirectWriterHooks): DirectWriter {
  const { transport } = hooks;
  return {
    async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
      const type = typeOf(object);
      // A generateName create has no name until the server gives it one.
      const key = object.metadata.name ? keyOf(object) : { namespace: object.metadata.namespace, name: '' };
      const created = await transport.create<T>(object, {
        ...options,
        fieldManager: options.fieldManager ?? hooks.fieldManager(),
        ...hooks.fence(type, key, options.signal),
      });
      const json = JSON.stringify(object);
      await hooks.written(type, keyOf(created), options.subresource ?? 'create', bodyFields(object), json, created);
      return created;
    },

    async update<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
      if (transport.update === undefined)
        throw new ClientUsageError('client.direct.update: the transport has no update');
      const type = typeOf(object);
      const key = keyOf(object);
      const updated = await transport.update<T>(object, {
        ...options,
        fieldManager: options.fieldManager ?? hooks.fieldManager(),
        ...hooks.fence(type, key, options.signal),
      });
      const json = JSON.stringify(object);
      await hooks.written(type, key, options.subresource ?? 'update', bodyFields(object), json, updated);
      return updated;
    },

    async patch<T extends KubeObject = KubeObject>(
      target: { type: TypeRef; key: ObjectKey },
      patch: unknown,
      options: PatchOptions = {},
    ): Promise<T> {
      const patched = await transport.patch<T>(target, patch, {
        ...options,
        fieldManager: options.fieldManager ?? (options.type === 'apply' ? hooks.fieldManager() : undefined),
        ...hooks.fence(target.type, target.key, options.signal),
      });
      const json = typeof patch === 'string' ? patch : JSON.stringify(patch);
      const fields = typeof patch === 'string' ? [] : patchFields(patch);
      await hooks.written(target.type, target.key, options.subresource ?? 'patch', fields, json, patched);
      return patched;
    },

    async delete(type: TypeRef, key: ObjectKey, options: DeleteOptions = {}): Promise<unknown> {
      const answer = await transport.delete(type, key, { ...options, ...hooks.fence(type, key, options.signal) });
      await hooks.deleted(type, key, answer);
      return answer;
    },
  };
}

/** The top-level fields a patch body names: its members, or the first token of each JSON patch path. */
function patchFields(patch: unknown): string[] {
  if (Array.isArray(patch)) {
    const fields = new Set<string>();
    for (const op of patch as JsonPatchOperation[]) {
      const first = typeof op?.path === 'string' ? op.path.split('/')[1] : undefined;
      if (first) fields.add(first);
    }
    return [...fields];
  }
  return typeof patch === 'object' && patch !== null ? bodyFields(patch as KubeObject) : [];
}
