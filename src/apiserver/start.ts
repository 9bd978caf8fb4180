/**
 * `startApiServer`: assembles storage, served types, watch hub, faults and the cluster on one
 * clock, creates the bootstrap namespaces, listens (over HTTPS behind the secure mode's gate when
 * asked), and starts the built-in controllers asked for.
 */
import { type JsonObject, systemClock } from '../core/index.js';
import { Security } from './auth/security.js';
import { encodeProtobufObject } from './codec/protobuf.js';
import { controllerNames, simulationSettings, startControllers } from './controllers/index.js';
import { FaultSet } from './faults/fault-set.js';
import { connectionLimits } from './http/connections.js';
import { DEFAULT_MAX_BODY_BYTES } from './http/io.js';
import { RequestStats } from './http/stats.js';
import { certificateUser, makeKubeconfig, writeKubeconfigFile } from './kubeconfig.js';
import { checkStoredSize } from './limits/object-size.js';
import { Cluster } from './registry/cluster.js';
import { installResources } from './registry/installed-resources.js';
import { bootstrapNamespaces } from './registry/namespaces.js';
import { ServedTypes } from './served/served-types.js';
import { listen } from './server.js';
import { Storage } from './storage/store.js';
import { WatchHub } from './storage/watch-hub.js';
import type { ApiServer, ApiServerOptions, ClusterControllers, Kubeconfig, KubeconfigIdentity } from './types.js';

/** Events kept per resource by default. */
export const DEFAULT_HISTORY_LIMIT = 10_000;

/**
 * Starts an emulated Kubernetes API server.
 *
 * @example
 * ```ts
 * const server = await startApiServer({ port: 0 });
 * const res = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } }),
 * });
 * console.log(res.status); // 201
 * await server.stop();
 * ```
 *
 * @remarks State lives in memory and is gone after `stop()`. A watch resume or continue token
 * older than the retained history (`historyLimit` events per resource, or anything before a
 * `faults.compact()`) gets 410 Expired, which clients recover from by listing again.
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const random = options.random ?? Math.random;
  const names = controllerNames(options.controllers);
  // etcd's request limit on every write; built-ins are measured in protobuf, as they are stored.
  const storage = new Storage(options.historyLimit ?? DEFAULT_HISTORY_LIMIT, (object, json) =>
    checkStoredSize(object, json, (o) => encodeProtobufObject(o as unknown as JsonObject)?.length),
  );
  const hub = new WatchHub();
  const faults = new FaultSet(hub, storage, random);
  const cluster = new Cluster(
    storage,
    new ServedTypes(),
    hub,
    faults,
    random,
    { absentOwnerGraceMs: options.absentOwnerGraceMs ?? 1000 },
    options.clock ?? systemClock,
  );
  bootstrapNamespaces(cluster);
  installResources(cluster, options.resources ?? []);
  const stats = new RequestStats();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const security = options.secure
    ? new Security(cluster, options.secure === true ? {} : options.secure, {
        host,
        now: () => cluster.now(),
        maxBodyBytes,
      })
    : undefined;
  const { server, port } = await listen(
    cluster,
    {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      maxBodyBytes,
      watchList: options.watchList ?? true,
      ...(options.resourceVersionWaitMs !== undefined ? { resourceVersionWaitMs: options.resourceVersionWaitMs } : {}),
    },
    host,
    options.port ?? 0,
    stats,
    security && {
      cert: security.tls.serving.certPem,
      key: security.tls.serving.keyPem,
      clientCa: security.tls.clientCa,
      gate: security,
    },
    connectionLimits(options.connections),
  );
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `${security ? 'https' : 'http'}://${urlHost}:${port}`;
  const kubeconfigFor = (identity: KubeconfigIdentity): Kubeconfig => {
    if (!security) return makeKubeconfig(url);
    const user =
      'token' in identity
        ? { token: identity.token }
        : certificateUser(security.publicView().issueClientCertificate(identity.username, identity.groups));
    return makeKubeconfig(url, 'kloop', { caPem: security.tls.ca.certPem, user });
  };
  const kubeconfig = security
    ? makeKubeconfig(url, 'kloop', { caPem: security.tls.ca.certPem, user: certificateUser(security.tls.admin) })
    : makeKubeconfig(url);
  // Without controllers the runtime still steps a manual clock for the cluster's own timers.
  const ip = host === '0.0.0.0' || host === '::' || host.includes(':') ? '127.0.0.1' : host;
  const running = startControllers(
    cluster,
    names,
    simulationSettings(
      { ...options.simulation, caBundle: options.simulation?.caBundle ?? security?.tls.ca.certPem },
      { ip, port },
    ),
  );
  const controllers: ClusterControllers = {
    names,
    settle: () => running.runtime.settle(),
    advance: (ms) => running.runtime.advance(ms),
    nodeNames: () => (names.includes('nodes') ? [...running.runtime.settings.nodeNames] : []),
    setNodeReady: (name, ready) => running.setNodeReady(name, ready),
  };
  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    kubeconfig,
    security: security?.publicView(),
    kubeconfigFor,
    audit: (filter) => security?.auditEntries(filter) ?? [],
    faults,
    controllers,
    writeKubeconfig: (path) => writeKubeconfigFile(path, kubeconfig),
    stats: () => stats.snapshot(hub.size, running.runtime.writes() ?? []),
    resetStats: () => {
      stats.reset();
      running.runtime.resetWrites();
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        faults.clear();
        running.runtime.stop();
        security?.stop();
        cluster.stop();
        hub.closeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
