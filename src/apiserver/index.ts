/**
 * `kloop/apiserver`: a Kubernetes API server emulator in TypeScript that real kubectl and client
 * libraries drive over plain HTTP. In-memory MVCC storage with one global revision and a bounded
 * history (older resumes get 410); list/watch with selectors, pagination, bookmarks and streaming
 * lists; the write rules of the real server (optimistic concurrency, no-op writes, generation,
 * status and scale subresources, finalizers, garbage collection, namespaces, CRDs with pruning);
 * four patch types including server-side apply with field ownership; Tables, metadata-only and
 * aggregated discovery responses; request counters; and fault injection for resilience tests.
 * See `docs/apiserver.md` for what is and is not emulated.
 *
 * @example
 * ```ts
 * import { startApiServer } from 'kloop/apiserver';
 * const server = await startApiServer();           // free port on 127.0.0.1
 * await server.writeKubeconfig('./kubeconfig');    // kubectl --kubeconfig ./kubeconfig get ns
 * server.faults.errors({ rate: 0.1, code: 429 });  // now and then, come back later
 * await server.stop();
 * ```
 */

export { StatusError } from './errors.js';
export { makeKubeconfig } from './kubeconfig.js';
export { startApiServer } from './start.js';
export type {
  ApiServer,
  ApiServerOptions,
  ApiServerStats,
  ConflictFaultOptions,
  ErrorFaultOptions,
  FaultHandle,
  FaultScope,
  Faults,
  Kubeconfig,
  RequestCount,
  RequestCountFilter,
  Verb,
} from './types.js';
