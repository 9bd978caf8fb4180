/**
 * kube-controller-manager's ServiceAccount controller: every active namespace has a `default`
 * ServiceAccount, created when the namespace appears and again when someone deletes it. Since
 * Kubernetes 1.24 no token Secret goes with it.
 */
import { Namespace, ServiceAccount } from '../../core/index.js';
import { KCM } from './objects.js';
import type { ControllerRuntime } from './runtime.js';
import type { BuiltinController } from './types.js';

/** Keeps a `default` ServiceAccount in every namespace. */
export class ServiceAccountController implements BuiltinController {
  readonly name = 'serviceaccount' as const;

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Namespace, (e) => {
      if (e.type !== 'DELETED') rt.enqueue(this.name, e.key);
    });
    rt.watch(ServiceAccount, (e) => {
      if (e.type === 'DELETED' && e.object.object.metadata.name === 'default') {
        rt.enqueue(this.name, String(e.object.object.metadata.namespace));
      }
    });
    for (const ns of rt.list(Namespace)) rt.enqueue(this.name, ns.key);
  }

  sync(namespace: string): void {
    const ns = this.rt.get(Namespace, undefined, namespace);
    if (!ns || ns.object.metadata.deletionTimestamp !== undefined) return;
    if (this.rt.get(ServiceAccount, namespace, 'default')) return;
    this.rt.create(this.name, KCM, ServiceAccount, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace },
    });
  }
}
