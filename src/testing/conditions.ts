/**
 * Waiting on the cluster's state from a test: a condition of an object (`Available`, `Ready`,
 * `Complete`, or an operator's own), and custom resources installed from their definitions. Both
 * read through a plain `KubeClient` (no cache), so what they see is what the server holds.
 */
import type { KubeClient } from '../client/index.js';
import type { Condition } from '../controller/index.js';
import { ApiError, CustomResourceDefinition, type KubeObject, type ObjectKey, type TypedRef } from '../core/index.js';
import type { Resource } from '../resources/index.js';
import { eventually } from './eventually.js';

/** An object named by its type and key: `{ ...Deployment, namespace: 'default', name: 'web' }`. */
export type ObjectRef<T = KubeObject> = TypedRef<T> & ObjectKey;

/** Options of {@link waitForCondition}. */
export interface WaitForConditionOptions {
  /** The status awaited: `True` (default), `False` or `Unknown`. */
  status?: 'True' | 'False' | 'Unknown';
  /** The condition's `reason` too, when given. */
  reason?: string;
  /** Real milliseconds before failing (default 10 000). */
  timeout?: number;
  /**
   * Called before each attempt after the first: a test on a `ManualClock` moves the emulator's
   * time here (`() => server.controllers.advance(100)`), so the cluster makes progress.
   */
  between?: () => unknown | Promise<unknown>;
}

/**
 * Waits until the object `ref` names has condition `type` with the awaited status, and resolves
 * to that object. A condition written for an older generation does not count: when the object
 * reports `status.observedGeneration` or the condition its `observedGeneration`, it must have
 * reached `metadata.generation` (kstatus reads conditions the same way). Fails with an
 * `AssertionError` naming the object, the condition and what it last saw.
 *
 * @example
 * ```ts
 * import { Deployment, KubeClient } from 'kloop';
 * import { waitForCondition } from 'kloop/testing';
 *
 * declare const client: KubeClient;
 * const web = await waitForCondition(client, { ...Deployment, namespace: 'default', name: 'web' }, 'Available');
 * console.log(web.status?.availableReplicas);
 * ```
 */
export async function waitForCondition<T extends KubeObject = KubeObject>(
  client: KubeClient,
  ref: ObjectRef<T>,
  type: string,
  options: WaitForConditionOptions = {},
): Promise<T> {
  const status = options.status ?? 'True';
  const key: ObjectKey =
    ref.namespace === undefined ? { name: ref.name } : { namespace: ref.namespace, name: ref.name };
  const what = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  let attempts = 0;
  let seen = 'not read yet';
  let found: T | undefined;
  try {
    await eventually(
      async () => {
        if (attempts++ > 0) await options.between?.();
        let object: T;
        try {
          object = await client.get<T>({ apiVersion: ref.apiVersion, kind: ref.kind }, key);
        } catch (err) {
          if (err instanceof ApiError && err.statusCode === 404) {
            seen = 'the object does not exist';
            return false;
          }
          throw err;
        }
        const s = (object as { status?: { conditions?: readonly Condition[]; observedGeneration?: number } }).status;
        const condition = s?.conditions?.find((c) => c.type === type);
        const generation = object.metadata?.generation;
        seen = condition
          ? `${type}=${condition.status}${condition.reason ? ` (${condition.reason})` : ''}`
          : `no ${type} condition`;
        if (!condition || condition.status !== status) return false;
        if (options.reason !== undefined && condition.reason !== options.reason) return false;
        if (generation !== undefined) {
          if (s?.observedGeneration !== undefined && s.observedGeneration < generation) {
            seen += `, status.observedGeneration ${s.observedGeneration} < generation ${generation}`;
            return false;
          }
          if (condition.observedGeneration !== undefined && condition.observedGeneration < generation) {
            seen += `, condition observedGeneration ${condition.observedGeneration} < generation ${generation}`;
            return false;
          }
        }
        found = object;
        return true;
      },
      {
        message: `${what} to have ${type}=${status}${options.reason ? ` (${options.reason})` : ''}`,
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      },
    );
  } catch (err) {
    if (err instanceof Error) err.message += `; last seen: ${seen}`;
    throw err;
  }
  return found!;
}

/**
 * Creates the CustomResourceDefinitions of `resources` (from their `defineResource` definitions;
 * one already there is left as it is) and waits until the server serves each, so the next
 * request, informer or manager can use them.
 *
 * @remarks Conversion between the versions of a multi-version resource runs in the emulator only
 * for resources given to `startApiServer({ resources })` (or `startEmulator`): prefer that for them.
 *
 * @example
 * ```ts
 * import { defineResource, KubeClient, Type } from 'kloop';
 * import { installResources } from 'kloop/testing';
 *
 * const Widget = defineResource({
 *   group: 'example.com', version: 'v1', kind: 'Widget',
 *   spec: Type.Object({ size: Type.Integer() }),
 * });
 * declare const client: KubeClient;
 * await installResources(client, [Widget]);
 * ```
 */
export async function installResources(client: KubeClient, resources: readonly Resource[]): Promise<void> {
  for (const resource of resources) {
    try {
      await client.create(resource.crd());
    } catch (err) {
      if (!(err instanceof ApiError && err.statusCode === 409)) throw err;
    }
  }
  for (const resource of resources) {
    const name = `${resource.plural}.${resource.group}`;
    await waitForCondition(client, { ...CustomResourceDefinition, name }, 'Established');
    await eventually(
      async () => {
        await client.list(resource, { limit: 1 });
        return true;
      },
      { message: `the API to serve ${name}` },
    );
  }
}
