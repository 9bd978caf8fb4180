/**
 * The manager's own error for lifecycle misuse and failed starts, in a file of its own so that
 * the manager's parts (the RBAC check) raise it without importing the manager.
 */
import { KloopError } from '../core/index.js';

/** Raised for lifecycle misuse (adding a controller after stop), conflicting options and failed starts. */
export class ManagerError extends KloopError {
  constructor(message: string) {
    super('KLOOP_MANAGER', message);
  }
}
