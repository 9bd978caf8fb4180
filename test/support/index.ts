/**
 * Test support shared by every test file: {@link eventually} for what happens in real time
 * (HTTP, processes), and virtual time on a `ManualClock` ({@link advance}, {@link advanceUntil},
 * {@link flush}) for what is about time.
 */
export { type AdvanceOptions, type AdvanceUntilOptions, advance, advanceUntil, flush } from './clock.js';
export { type EventuallyOptions, eventually } from './eventually.js';
