/**
 * The emulator's parts for kloop's own code (sibling modules, benchmarks) that assemble it
 * differently from `startApiServer`: e.g. seed a store through the cluster's write path before
 * listening. Not a public entry point; users import `kloop/apiserver` (`index.ts`).
 */
export { FaultSet } from './faults/fault-set.js';
export { DEFAULT_MAX_BODY_BYTES } from './http/io.js';
export { RequestStats } from './http/stats.js';
export { Cluster } from './registry/cluster.js';
export { bootstrapNamespaces } from './registry/namespaces.js';
export { type ServedType, ServedTypes } from './served/served-types.js';
export { listen } from './server.js';
export { Storage } from './storage/store.js';
export { WatchHub } from './storage/watch-hub.js';
