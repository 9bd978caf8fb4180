/**
 * An ordered set of strings kept as a list of sorted chunks. The store keeps its keys
 * (`namespace/name`) here so that lists come out in etcd key order and a continue token resumes
 * with a binary search instead of a scan: insert, delete and seek cost O(log n + chunk size).
 *
 * A plain sorted array would cost O(n) per insert at random positions (100k objects = 5e9 moves);
 * a balanced tree would allocate a node per key. Chunks of a few hundred keys keep both cheap.
 */

const MAX_CHUNK = 512;

/** A sorted set of strings with ordered iteration from any lower bound. */
export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  /** How many keys are held. */
  get size(): number {
    return this.count;
  }

  /** Adds `key`; returns false when it was already present. */
  add(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk, key);
    if (chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > MAX_CHUNK) {
      // Split in halves so that appends in key order (the common bulk load) stay cheap too.
      const tail = chunk.splice(chunk.length >> 1);
      this.chunks.splice(ci + 1, 0, tail);
    }
    return true;
  }

  /** Removes `key`; returns false when it was absent. */
  delete(key: string): boolean {
    if (this.chunks.length === 0) return false;
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /** True when `key` is present. */
  has(key: string): boolean {
    if (this.chunks.length === 0) return false;
    const chunk = this.chunks[this.chunkFor(key)];
    return chunk[lowerBound(chunk, key)] === key;
  }

  /** Keys `>= from` (all keys when omitted), in order. */
  *from(from?: string): Generator<string> {
    let ci = 0;
    let i = 0;
    if (from !== undefined && this.chunks.length > 0) {
      ci = this.chunkFor(from);
      i = lowerBound(this.chunks[ci], from);
    }
    for (; ci < this.chunks.length; ci++, i = 0) {
      const chunk = this.chunks[ci];
      for (; i < chunk.length; i++) yield chunk[i];
    }
  }

  /** How many keys are `>= from` (for `remainingItemCount`), in O(number of chunks). */
  countFrom(from: string): number {
    if (this.chunks.length === 0) return 0;
    const ci = this.chunkFor(from);
    let n = this.chunks[ci].length - lowerBound(this.chunks[ci], from);
    for (let j = ci + 1; j < this.chunks.length; j++) n += this.chunks[j].length;
    return n;
  }

  /** Index of the chunk whose range holds `key`: the last chunk whose first key is <= key. */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid][0] <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** First index in sorted `arr` whose value is >= key. */
export function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
