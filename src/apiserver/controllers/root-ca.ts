/**
 * kube-controller-manager's root CA publisher (pkg/controller/certificates/rootcacertpublisher):
 * every active namespace has the ConfigMap `kube-root-ca.crt` with the cluster's CA bundle in
 * `ca.crt` and the upstream description annotation; a deleted or edited copy is put back.
 */
import { ConfigMap, Namespace } from '../../core/index.js';
import { KCM } from './objects.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

/** The ConfigMap's name. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** Publishes the CA bundle in every namespace. */
export class RootCaPublisher implements BuiltinController {
  readonly name = 'root-ca-cert-publisher' as const;

  constructor(private readonly rt: ControllerRuntime) {
    rt.watch(Namespace, (e) => {
      if (e.type !== 'DELETED') rt.enqueue(this.name, e.key);
    });
    rt.watch(ConfigMap, (e) => {
      if (e.object.object.metadata.name === ROOT_CA_CONFIGMAP) {
        rt.enqueue(this.name, String(e.object.object.metadata.namespace));
      }
    });
    for (const ns of rt.list(Namespace)) rt.enqueue(this.name, ns.key);
  }

  sync(namespace: string): void {
    const ns = this.rt.get(Namespace, undefined, namespace);
    if (!ns || ns.object.metadata.deletionTimestamp !== undefined) return;
    const data = { 'ca.crt': this.rt.settings.caBundle };
    const annotations = { 'kubernetes.io/description': DESCRIPTION };
    const current = this.rt.get(ConfigMap, namespace, ROOT_CA_CONFIGMAP);
    if (!current) {
      this.rt.create(this.name, KCM, ConfigMap, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations },
        data,
      });
      return;
    }
    const next = copyOf(current);
    next.data = data;
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), ...annotations };
    this.rt.update(this.name, KCM, ConfigMap, current, next);
  }
}
