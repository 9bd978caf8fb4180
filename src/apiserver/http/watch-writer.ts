/**
 * The write side of one watch stream: coalesces the event lines of a tick into one chunk and
 * respects the socket's backpressure.
 *
 * Writing every event with its own `res.write` costs a chunk header, a buffer and (once corked)
 * an iovec entry per event; at tens of thousands of events a second that, not the events, bounds
 * what the emulator can stream. Here lines are queued and joined: one `res.write` per flush,
 * flushed after the current tick (microtask) or as soon as a chunk reaches `CHUNK_BYTES`. While
 * the socket is not drained (`res.write` returned false) lines keep queueing and go out in one
 * chunk on `drain`.
 */

/** The response side a {@link WatchWriter} needs (a `ServerResponse` in the server). */
export interface WatchResponse {
  write(chunk: string): boolean;
  end(chunk?: string): void;
  destroy(): void;
  once(event: 'drain', listener: () => void): unknown;
  readonly destroyed: boolean;
}

/** A chunk is written as soon as the queued lines reach this size (64 KiB, a socket buffer's worth). */
export const CHUNK_BYTES = 64 * 1024;

/** The most one `res.write` takes from a backlog (1 MiB). */
const FLUSH_BYTES = 1024 * 1024;

/**
 * Queued and not yet taken by the socket beyond this, the watcher is too slow and is closed.
 * The real server's cacher does the same to a watcher whose buffer stays full ("Forcing watcher
 * close due to unresponsiveness"): it ends the stream cleanly and the client watches again from
 * the last resourceVersion it saw. Kept large because the emulator may commit thousands of
 * events in one tick before the socket gets a chance to drain.
 */
export const MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

/**
 * Coalescing, backpressure-aware writer of one watch stream's lines. Order is preserved: lines
 * leave in the order {@link WatchWriter.write} took them, and {@link WatchWriter.end} writes what
 * is queued before ending.
 *
 * @example
 * ```ts
 * import type { ServerResponse } from 'node:http';
 *
 * declare const res: ServerResponse; // a watch response, headers sent
 * declare function endWatch(): void; // ends the stream cleanly, as the server does to a slow watcher
 * const writer = new WatchWriter(res, endWatch);
 * writer.write('{"type":"ADDED","object":{"kind":"ConfigMap"}}\n');
 * ```
 *
 * @remarks Recovery: when more than `maxBuffered` bytes wait for the socket, the queued lines
 * are dropped and `onOverflow` is called once (its owner then ends the watch cleanly, as the
 * real server does to a slow watcher); the client watches again from the last resourceVersion
 * it received and gets the dropped events from the history, or a 410 and relists.
 */
export class WatchWriter {
  private queue: string[] = [];
  /** Index of the first line of `queue` not yet written. */
  private head = 0;
  private queuedBytes = 0;
  private scheduled = false;
  private blocked = false;
  private ending = false;
  private overflowed = false;

  constructor(
    private readonly res: WatchResponse,
    private readonly onOverflow: () => void,
    private readonly maxBuffered = MAX_BUFFERED_BYTES,
  ) {}

  /** Bytes queued and not yet handed to the socket. */
  get buffered(): number {
    return this.queuedBytes;
  }

  /** Queues a line (or several joined); flushes at once when a chunk's worth is queued. */
  write(chunk: string): void {
    if (this.ending || this.overflowed || this.res.destroyed) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.blocked) {
      if (this.queuedBytes > this.maxBuffered && !this.overflowed) {
        // The queued lines are dropped, not sent: the client watches again from the last
        // resourceVersion it received and gets them from the history (or a 410 and relists).
        this.overflowed = true;
        this.queue = [];
        this.head = 0;
        this.queuedBytes = 0;
        this.onOverflow();
      }
      return;
    }
    if (this.queuedBytes >= CHUNK_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.scheduledFlush);
    }
  }

  /** Writes what is queued (unless the socket is still draining), then ends the stream. */
  end(): void {
    if (this.ending) return;
    this.ending = true;
    if (this.res.destroyed) return;
    // Ending waits for nothing: `end` takes the queued bytes even while the socket drains.
    const rest = this.take();
    if (rest.length > 0) this.res.end(rest);
    else this.res.end();
  }

  /** Drops what is queued and resets the stream. */
  destroy(): void {
    this.ending = true;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.res.destroy();
  }

  private readonly scheduledFlush = (): void => {
    this.scheduled = false;
    if (!this.blocked && !this.ending) this.flush();
  };

  private readonly onDrain = (): void => {
    this.blocked = false;
    if (!this.ending) this.flush();
  };

  /** Everything queued, as one string. */
  private take(): string {
    const chunk = this.takeUpTo(Number.POSITIVE_INFINITY);
    this.queue = [];
    this.head = 0;
    return chunk;
  }

  /** The queued lines from the head up to about `limit` bytes (at least one line), joined. */
  private takeUpTo(limit: number): string {
    const start = this.head;
    let end = start;
    let bytes = 0;
    while (end < this.queue.length && (end === start || bytes + this.queue[end].length <= limit)) {
      bytes += this.queue[end].length;
      end++;
    }
    this.head = end;
    this.queuedBytes -= bytes;
    if (end === this.queue.length) {
      const all = start === 0 ? this.queue : this.queue.slice(start);
      this.queue = [];
      this.head = 0;
      return all.length === 1 ? all[0] : all.join('');
    }
    return end - start === 1 ? this.queue[start] : this.queue.slice(start, end).join('');
  }

  /**
   * Writes queued lines in chunks of at most `FLUSH_BYTES` until the queue is empty or the
   * socket asks to wait (then the rest goes on `drain`): a backlog of many megabytes leaves as
   * the socket takes it, never as one giant string and buffer.
   */
  private flush(): void {
    while (this.head < this.queue.length) {
      if (this.res.destroyed) return;
      if (!this.res.write(this.takeUpTo(FLUSH_BYTES))) {
        this.blocked = true;
        this.res.once('drain', this.onDrain);
        return;
      }
    }
  }
}
