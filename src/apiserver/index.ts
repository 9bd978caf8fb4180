/**
 * `kloop/apiserver`: a Kubernetes API server emulator in TypeScript that real kubectl and client
 * libraries drive over plain HTTP. In-memory MVCC storage with one global revision and a bounded
 * history (older resumes get 410); list/watch with selectors, pagination, bookmarks and streaming
 * lists; the write rules of the real server (optimistic concurrency, no-op writes, generation,
 * status and scale subresources, finalizers, garbage collection, namespaces, CRDs validated as
 * apiextensions does, custom resources validated against their schemas and converted between
 * versions);
 * four patch types including server-side apply with field ownership; Tables, metadata-only and
 * aggregated discovery responses; JSON, YAML and Kubernetes protobuf on the wire (every built-in
 * kind); OpenAPI v3 and v2 documents for built-ins and CRDs; request counters; fault injection
 * for resilience tests; and, when asked, the built-in controllers of a cluster (Deployments to
 * Pods on simulated Nodes, Jobs, StatefulSets, DaemonSets, Service IPs and endpoints, namespace
 * bootstrap objects) on an injectable clock. Errors and defaults are those of Kubernetes 1.33.
 * See `docs/apiserver.md` for what is and is not emulated, and
 * `docs/guides/testing-on-the-emulator.md` for testing an operator on it.
 *
 * Inside, one folder per concept, each depending only on those listed before it (and `core`):
 * `errors/` (the Status of every failure), `served/` (the resource types served and their
 * rules), `codec/` (JSON, YAML, protobuf, content negotiation, Tables), `storage/` (MVCC store,
 * history, continue tokens, watch fan-out), `validation/`, `admission/`, `ssa/` (server-side
 * apply), `faults/`, `registry/` (the write path: strategies, graceful deletion, garbage
 * collection, namespace and CRD lifecycle), `controllers/` (the built-in controllers, on top of
 * the registry), `http/` (bodies, responses, routes, counters),
 * `handlers/` (get, list, create, update, delete, watch, scale), `patch/`, `discovery/` (and the
 * OpenAPI documents); then
 * `server.ts` (routing) and `start.ts` (assembly). Sibling modules and kloop's own benchmarks
 * use `internal.ts`; users use this file.
 *
 * @example
 * ```ts
 * import { startApiServer } from 'kloop/apiserver';
 * const server = await startApiServer();           // free port on 127.0.0.1 (controllers: true for Pods that run)
 * await server.writeKubeconfig('./kubeconfig');    // kubectl --kubeconfig ./kubeconfig get ns
 * server.faults.errors({ rate: 0.1, code: 429 });  // now and then, come back later
 * await server.stop();
 * ```
 */

export {
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
  loadCertificateAuthority,
} from './auth/certificates.js';
export { StatusError } from './errors/status-errors.js';
export { makeKubeconfig } from './kubeconfig.js';
export { startApiServer } from './start.js';
export type {
  ApiServer,
  ApiServerOptions,
  ApiServerStats,
  AuditEntry,
  AuditFilter,
  CertificateAndKey,
  CertificateAuthority,
  CertificateAuthorityOptions,
  CertificateUsage,
  ClusterControllers,
  ConflictFaultOptions,
  ConnectionLimits,
  ControllerName,
  ControllerWriteCount,
  ControllerWriteFilter,
  ErrorFaultOptions,
  FaultHandle,
  FaultScope,
  Faults,
  IssueOptions,
  Kubeconfig,
  KubeconfigIdentity,
  KubeconfigUser,
  PodOutcome,
  PodRule,
  PolicyRule,
  RequestCount,
  RequestCountFilter,
  SecureOptions,
  ServerSecurity,
  SimulationOptions,
  StaticTokenUser,
  UserInfo,
  Verb,
} from './types.js';
