/**
 * Splits a byte stream into JSON lines without ever joining the whole stream: watch responses
 * run for minutes and carry gigabytes, so only the bytes of the line being read are kept.
 */

/**
 * Splits chunks of bytes on `\n` and hands each complete line, decoded as UTF-8, to `onLine`.
 *
 * @remarks
 * Splitting on the byte 0x0A is safe for UTF-8: that byte never occurs inside a multi-byte
 * sequence, so a character cut in two by a chunk boundary is always inside one line's bytes,
 * and each line is decoded only when it is complete. Only the unfinished tail of the last
 * chunk is kept between calls (client-go's `json.Decoder` reads the same way).
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const splitter = new LineSplitter((line) => lines.push(line));
 * splitter.push(Buffer.from('{"a":1}\n{"b"'));
 * splitter.push(Buffer.from(':2}\n'));
 * splitter.end(); // lines: ['{"a":1}', '{"b":2}']
 * ```
 */
export class LineSplitter {
  /** Pieces of the line not yet terminated; usually empty or one slice. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #onLine: (line: string) => void;
  readonly #maxLineBytes: number;

  /**
   * @param onLine - called with each non-empty line, without its terminator (a trailing `\r` is
   *   dropped too).
   * @param maxLineBytes - a line longer than this throws a `RangeError` instead of growing
   *   without bound (default 64 MiB, well above the API server's 3 MiB object limit).
   */
  constructor(onLine: (line: string) => void, maxLineBytes = 64 * 1024 * 1024) {
    this.#onLine = onLine;
    this.#maxLineBytes = maxLineBytes;
  }

  /** Feeds one chunk. Calls `onLine` for each line the chunk completes. */
  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    let nl = buf.indexOf(10, start);
    while (nl !== -1) {
      if (this.#pendingBytes > 0) {
        this.#pending.push(buf.subarray(start, nl));
        const joined = Buffer.concat(this.#pending, this.#pendingBytes + nl - start);
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#emit(joined, 0, joined.length);
      } else {
        this.#emit(buf, start, nl);
      }
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    if (start < buf.length) {
      const rest = buf.length - start;
      if (this.#pendingBytes + rest > this.#maxLineBytes) {
        this.#pending = [];
        this.#pendingBytes = 0;
        throw new RangeError(`watch line longer than ${this.#maxLineBytes} bytes`);
      }
      // Copy the tail: keeping a subarray would pin the whole (often 64 KiB) chunk in memory.
      this.#pending.push(Buffer.from(buf.subarray(start)));
      this.#pendingBytes += rest;
    }
  }

  /** Flushes a last line that had no terminator (a server may close without one). */
  end(): void {
    if (this.#pendingBytes === 0) return;
    const joined = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#emit(joined, 0, joined.length);
  }

  /** Bytes held for an unfinished line. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  #emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--;
    if (end <= start) return;
    // Skip lines that are only whitespace (keep-alive newlines some proxies inject).
    let i = start;
    while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
    if (i === end) return;
    this.#onLine(buf.toString('utf8', start, end));
  }
}
