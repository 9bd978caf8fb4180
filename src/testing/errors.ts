/**
 * The testing kit's own error: a helper called in a way it cannot work, such as an RBAC helper
 * on an emulator without the secure mode, where it would pass without proving anything.
 */
import { KloopError } from '../core/index.js';

/**
 * A `kloop/testing` helper was misused (code `KLOOP_TESTING_USAGE`); the message names the helper
 * and the fix. Not retryable: the test must change.
 */
export class TestingUsageError extends KloopError {
  constructor(message: string) {
    super('KLOOP_TESTING_USAGE', message);
  }
}
