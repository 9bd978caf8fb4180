// A virtual clock for the reconciler and reflector tests: core's ManualClock, with the count of
// timers still pending under the name these tests use.
import { ManualClock } from '../../src/core/clock.js';

export class FakeClock extends ManualClock {
  pending(): number {
    return this.pendingTimers();
  }
}
