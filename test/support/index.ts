/**
 * Test support shared by every test file: {@link eventually} for what happens in real time
 * (HTTP, processes), and virtual time on a `ManualClock` ({@link advance}, {@link advanceUntil},
 * {@link flush}) for what is about time. They are `kloop/testing`'s, which users get too.
 */
export {
  type AdvanceOptions,
  type AdvanceUntilOptions,
  advance,
  advanceUntil,
  type EventuallyOptions,
  eventually,
  flush,
} from '../../src/testing/index.js';
