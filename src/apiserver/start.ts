/**
 * `startApiServer`: assembles storage, served types, watch hub, faults and the cluster, creates
 * the bootstrap namespaces, and listens.
 */
import { FaultSet } from './faults/fault-set.js';
import { DEFAULT_MAX_BODY_BYTES } from './http/io.js';
import { RequestStats } from './http/stats.js';
import { makeKubeconfig, writeKubeconfigFile } from './kubeconfig.js';
import { Cluster } from './registry/cluster.js';
import { installResources } from './registry/installed-resources.js';
import { bootstrapNamespaces } from './registry/namespaces.js';
import { ServedTypes } from './served/served-types.js';
import { listen } from './server.js';
import { Storage } from './storage/store.js';
import { WatchHub } from './storage/watch-hub.js';
import type { ApiServer, ApiServerOptions } from './types.js';

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
  const storage = new Storage(options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
  const hub = new WatchHub();
  const faults = new FaultSet(hub, storage, random);
  const cluster = new Cluster(storage, new ServedTypes(), hub, faults, random, {
    absentOwnerGraceMs: options.absentOwnerGraceMs ?? 1000,
  });
  bootstrapNamespaces(cluster);
  installResources(cluster, options.resources ?? []);
  const stats = new RequestStats();
  const { server, port } = await listen(
    cluster,
    {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    },
    host,
    options.port ?? 0,
    stats,
  );
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  const kubeconfig = makeKubeconfig(url);
  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    kubeconfig,
    faults,
    writeKubeconfig: (path) => writeKubeconfigFile(path, kubeconfig),
    stats: () => stats.snapshot(hub.size),
    resetStats: () => stats.reset(),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        faults.clear();
        cluster.stop();
        hub.closeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
