/**
 * The manager: the process around controllers. It owns the cluster connection (`mgr.kube`), the
 * shared informers (`mgr.informer(type)`), the cached client (`mgr.client`), the metrics registry
 * and the controllers (`mgr.controller(name)`), and starts and stops them together.
 *
 * Leader election, sharding, the HTTP endpoints (`/metrics`, `/healthz`, `/readyz`,
 * `/debug/kloop`) and signal handling arrive with issue 6; `mgr.describe()` already returns what
 * `/debug/kloop` will show.
 */
export { Manager, ManagerError, type ManagerDescription, type ManagerOptions } from './manager.js';
