/**
 * A persistent (structurally shared) B+tree over string keys: the ordered index under every
 * StateDB table.
 *
 * Why a B+tree: every index key is encoded to a string (see `keys.ts`), so one comparator serves
 * primary, secondary, revision and graveyard indexes. Wide nodes (32 entries) keep the tree at
 * 3-4 levels for a million objects, so a write copies only a few small arrays and a snapshot is
 * a root pointer (cilium/statedb gets the same from its persistent radix tree, `part/`). The
 * benchmark (`bench/statedb.ts`) measured it at 16, 32 and 64 entries per node against a
 * copy-on-write sorted array and a hash trie; see `docs/statedb.md`.
 *
 * Copies share the keys array of the node they copy (`shared`) until a change needs it: an
 * update replaces a value and a descent replaces a child, neither touches the keys.
 *
 * Nodes carry an `owner` token. A write transaction creates one token; nodes it has already
 * copied carry that token and are mutated in place instead of being copied again (Clojure's
 * transients, statedb's txn node cache), so a batch of 100 inserts copies each path once. When
 * the transaction commits its token is dropped and every node becomes immutable.
 */

/** Maximum entries per node. 32 measured best among 16, 32 and 64 (see `bench/statedb.ts`). */
let MAX = 32;
/** Below this a node is merged with a neighbour when they fit together. */
let MIN = MAX >> 2;

/**
 * Sets the node size of trees built from now on. For the benchmark that chose the default;
 * never change it while trees exist.
 */
export function setNodeSize(max: number): void {
  if (!Number.isInteger(max) || max < 4) throw new RangeError('node size must be an integer >= 4');
  MAX = max;
  MIN = max >> 2;
}

/** A leaf holds keys and values; an inner node holds children and the separators between them. */
interface Leaf<V> {
  leaf: true;
  owner: object | null;
  /** True when `keys` may also belong to another version: copy before changing it. */
  shared: boolean;
  keys: string[];
  vals: V[];
}

interface Inner<V> {
  leaf: false;
  owner: object | null;
  /** True when `keys` may also belong to another version: copy before changing it. */
  shared: boolean;
  /** keys[i] is the smallest key of children[i + 1]; length is children.length - 1. */
  keys: string[];
  children: Node<V>[];
  /** Entries below this node, so `size` and sampling stay O(1) per node. */
  count: number;
}

type Node<V> = Leaf<V> | Inner<V>;

/** An immutable tree: share it freely; every change returns a new one. */
export interface Tree<V> {
  readonly root: Node<V>;
  readonly size: number;
}

const EMPTY_LEAF: Leaf<never> = { leaf: true, owner: null, shared: false, keys: [], vals: [] };

/** Inserts in place without `splice` (which allocates its result array). */
function arrInsert<T>(a: T[], i: number, x: T): void {
  let j = a.length;
  a.push(x);
  while (j > i) {
    a[j] = a[j - 1];
    j--;
  }
  a[i] = x;
}

function arrRemove<T>(a: T[], i: number): void {
  for (let j = i + 1; j < a.length; j++) a[j - 1] = a[j];
  a.pop();
}

/** A copy of `a` with `x` inserted at `i`: one pass instead of slice + splice. */
function copyInsert<T>(a: readonly T[], i: number, x: T): T[] {
  const out = a.slice(0, i);
  out.push(x);
  for (let j = i; j < a.length; j++) out.push(a[j]);
  return out;
}

function copyRemove<T>(a: readonly T[], i: number): T[] {
  const out = a.slice(0, i);
  for (let j = i + 1; j < a.length; j++) out.push(a[j]);
  return out;
}

/** Inserts into a node's keys, copying them first if another version shares them. */
function keysInsert<V>(node: Node<V>, i: number, key: string): void {
  if (node.shared) {
    node.keys = copyInsert(node.keys, i, key);
    node.shared = false;
  } else {
    arrInsert(node.keys, i, key);
  }
}

function keysRemove<V>(node: Node<V>, i: number): void {
  if (node.shared) {
    node.keys = copyRemove(node.keys, i);
    node.shared = false;
  } else {
    arrRemove(node.keys, i);
  }
}

/** A node's keys, made private to it so they can be changed. */
function ownKeys<V>(node: Node<V>): string[] {
  if (node.shared) {
    node.keys = node.keys.slice();
    node.shared = false;
  }
  return node.keys;
}

/** The empty tree. */
export function emptyTree<V>(): Tree<V> {
  return { root: EMPTY_LEAF as Leaf<V>, size: 0 };
}

/** First index i with keys[i] >= key (binary search). */
function lowerIndex(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The child of an inner node that may hold `key`: first separator greater than key. */
function childIndex(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Looks a key up. O(log n). */
export function treeGet<V>(tree: Tree<V>, key: string): V | undefined {
  let node = tree.root;
  while (!node.leaf) node = node.children[childIndex(node.keys, key)];
  const i = lowerIndex(node.keys, key);
  return i < node.keys.length && node.keys[i] === key ? node.vals[i] : undefined;
}

/**
 * Visits entries with key >= `from` in key order until `visit` returns false.
 * Recursion depth is the tree height (3-5), so no explicit stack is needed.
 */
export function treeScan<V>(tree: Tree<V>, from: string, visit: (key: string, val: V) => boolean): void {
  scanNode(tree.root, from, visit);
}

function scanNode<V>(node: Node<V>, from: string, visit: (key: string, val: V) => boolean): boolean {
  if (node.leaf) {
    for (let i = lowerIndex(node.keys, from); i < node.keys.length; i++) {
      if (!visit(node.keys[i], node.vals[i])) return false;
    }
    return true;
  }
  for (let i = childIndex(node.keys, from); i < node.children.length; i++) {
    if (!scanNode(node.children[i], from, visit)) return false;
  }
  return true;
}

/** Entries whose key starts with `prefix`, in key order, appended to `out`. */
export function treePrefix<V>(tree: Tree<V>, prefix: string, out: V[]): V[] {
  prefixNode(tree.root, prefix, out, true);
  return out;
}

// Specialised loops rather than treeScan + callback: queries are the hot read path, and a
// callback shared by many call sites is not inlined. Only the first node on each level needs a
// binary search (`seek`); every later one starts at its beginning.
function prefixNode<V>(node: Node<V>, prefix: string, out: V[], seek: boolean): boolean {
  if (node.leaf) {
    const { keys, vals } = node;
    const n = keys.length;
    let i = seek ? lowerIndex(keys, prefix) : 0;
    // Keys with the prefix are contiguous: when the leaf's last key has it, all from i do.
    if (i < n && keys[n - 1].startsWith(prefix)) {
      for (; i < n; i++) out.push(vals[i]);
      return true;
    }
    for (; i < n; i++) {
      if (!keys[i].startsWith(prefix)) return false;
      out.push(vals[i]);
    }
    return true;
  }
  const children = node.children;
  const start = seek ? childIndex(node.keys, prefix) : 0;
  for (let i = start; i < children.length; i++) {
    if (!prefixNode(children[i], prefix, out, seek && i === start)) return false;
  }
  return true;
}

/**
 * The `o` field of every value whose key starts with `prefix`, in key order, appended to `out`:
 * `treePrefix` without the intermediate array of values a query would then map (measured: a
 * third of a 100-object index query).
 */
export function treePrefixObjects<T>(tree: Tree<{ readonly o: T }>, prefix: string, out: T[]): T[] {
  prefixObjectsNode(tree.root, prefix, out, true);
  return out;
}

function prefixObjectsNode<T>(node: Node<{ readonly o: T }>, prefix: string, out: T[], seek: boolean): boolean {
  if (node.leaf) {
    const { keys, vals } = node;
    const n = keys.length;
    let i = seek ? lowerIndex(keys, prefix) : 0;
    if (i < n && keys[n - 1].startsWith(prefix)) {
      for (; i < n; i++) out.push(vals[i].o);
      return true;
    }
    for (; i < n; i++) {
      if (!keys[i].startsWith(prefix)) return false;
      out.push(vals[i].o);
    }
    return true;
  }
  const children = node.children;
  const start = seek ? childIndex(node.keys, prefix) : 0;
  for (let i = start; i < children.length; i++) {
    if (!prefixObjectsNode(children[i], prefix, out, seek && i === start)) return false;
  }
  return true;
}

/** Every entry with key >= `from`, in key order, appended to `out`. */
export function treeFrom<V>(tree: Tree<V>, from: string, out: V[]): V[] {
  fromNode(tree.root, from, out, true);
  return out;
}

function fromNode<V>(node: Node<V>, from: string, out: V[], seek: boolean): void {
  if (node.leaf) {
    const vals = node.vals;
    for (let i = seek ? lowerIndex(node.keys, from) : 0; i < vals.length; i++) out.push(vals[i]);
    return;
  }
  const children = node.children;
  const start = seek ? childIndex(node.keys, from) : 0;
  for (let i = start; i < children.length; i++) fromNode(children[i], from, out, seek && i === start);
}

/**
 * A tree being changed by one write transaction. Mutates nodes it owns, copies the rest.
 * `freeze()` hands back an immutable {@link Tree}; the builder must not be used afterwards.
 */
export class TreeBuilder<V> {
  root: Node<V>;
  size: number;
  private readonly owner: object;
  private readonly base: Tree<V>;

  constructor(tree: Tree<V>, owner: object) {
    this.root = tree.root;
    this.size = tree.size;
    this.owner = owner;
    this.base = tree;
  }

  get(key: string): V | undefined {
    return treeGet(this, key);
  }

  /** The tree as changed; the one it started from when nothing changed (no allocation). */
  freeze(): Tree<V> {
    if (this.root === this.base.root && this.size === this.base.size) return this.base;
    return { root: this.root, size: this.size };
  }

  /**
   * A copy of the node this transaction may change. Values and children are copied; keys are
   * shared with the old version until a change needs them (most writes change no key array:
   * an update replaces a value, a descent replaces one child).
   */
  private own<N extends Node<V>>(node: N): N {
    if (node.owner === this.owner) return node;
    if (node.leaf) {
      return { leaf: true, owner: this.owner, shared: true, keys: node.keys, vals: node.vals.slice() } as N;
    }
    return {
      leaf: false,
      owner: this.owner,
      shared: true,
      keys: node.keys,
      children: node.children.slice(),
      count: node.count,
    } as N;
  }

  // What the last `insertInto` did, in fields rather than a result object per level: a batch
  // of 100 inserts into two indexes allocated 800 of them, a quarter of a write's time in GC.
  private old: V | undefined = undefined;
  private replaced = false;
  private sep = '';

  /** Sets key to val; returns the previous value. */
  set(key: string, val: V): V | undefined {
    const root = this.own(this.root);
    this.old = undefined;
    this.replaced = false;
    const split = this.insertInto(root, key, val);
    if (split !== undefined) {
      this.root = {
        leaf: false,
        owner: this.owner,
        shared: false,
        keys: [this.sep],
        children: [root, split],
        count: countOf(root) + countOf(split),
      };
    } else {
      this.root = root;
    }
    const old = this.old;
    if (!this.replaced) this.size++;
    this.old = undefined;
    return old;
  }

  /** Inserts below `node` (owned); returns the new right sibling when it split (separator in `sep`). */
  private insertInto(node: Node<V>, key: string, val: V): Node<V> | undefined {
    if (node.leaf) {
      const i = lowerIndex(node.keys, key);
      if (i < node.keys.length && node.keys[i] === key) {
        this.old = node.vals[i];
        this.replaced = true;
        node.vals[i] = val;
        return undefined;
      }
      keysInsert(node, i, key);
      arrInsert(node.vals, i, val);
      if (node.keys.length <= MAX) return undefined;
      const half = node.keys.length >> 1;
      const right: Leaf<V> = {
        leaf: true,
        owner: this.owner,
        shared: false,
        keys: node.keys.splice(half),
        vals: node.vals.splice(half),
      };
      this.sep = right.keys[0];
      return right;
    }
    const ci = childIndex(node.keys, key);
    const child = this.own(node.children[ci]);
    node.children[ci] = child;
    const split = this.insertInto(child, key, val);
    if (!this.replaced) node.count++;
    if (split === undefined) return undefined;
    keysInsert(node, ci, this.sep);
    arrInsert(node.children, ci + 1, split);
    if (node.children.length <= MAX) return undefined;
    const half = node.children.length >> 1;
    const rightChildren = node.children.splice(half);
    this.sep = node.keys[half - 1];
    const rightKeys = node.keys.splice(half - 1).slice(1);
    const right: Inner<V> = {
      leaf: false,
      owner: this.owner,
      shared: false,
      keys: rightKeys,
      children: rightChildren,
      count: sumCounts(rightChildren),
    };
    node.count -= right.count;
    return right;
  }

  /** Removes key; returns the removed value or undefined when absent. */
  delete(key: string): V | undefined {
    if (treeGet(this, key) === undefined) return undefined;
    const root = this.own(this.root);
    const old = this.deleteFrom(root, key);
    // Collapse a root left with a single child so the height shrinks with the data.
    let r: Node<V> = root;
    while (!r.leaf && r.children.length === 1) r = r.children[0];
    this.root = !r.leaf && r.children.length === 0 ? (EMPTY_LEAF as Leaf<V>) : r;
    this.size--;
    return old;
  }

  private deleteFrom(node: Node<V>, key: string): V | undefined {
    if (node.leaf) {
      const i = lowerIndex(node.keys, key);
      const old = node.vals[i];
      keysRemove(node, i);
      arrRemove(node.vals, i);
      return old;
    }
    const ci = childIndex(node.keys, key);
    const child = this.own(node.children[ci]);
    node.children[ci] = child;
    const old = this.deleteFrom(child, key);
    node.count--;
    const n = child.leaf ? child.keys.length : child.children.length;
    if (n < MIN) this.rebalance(node, ci);
    return old;
  }

  /** Merges an under-full child with a neighbour when both fit in one node. */
  private rebalance(parent: Inner<V>, ci: number): void {
    const child = parent.children[ci];
    if ((child.leaf ? child.keys.length : child.children.length) === 0) {
      arrRemove(parent.children, ci);
      keysRemove(parent, ci === 0 ? 0 : ci - 1);
      return;
    }
    const li = ci > 0 ? ci - 1 : ci;
    if (li + 1 >= parent.children.length) return;
    const a = parent.children[li];
    const b = parent.children[li + 1];
    const width = (x: Node<V>) => (x.leaf ? x.keys.length : x.children.length);
    if (width(a) + width(b) > MAX) return;
    const left = this.own(a);
    if (left.leaf && b.leaf) {
      ownKeys(left).push(...b.keys);
      left.vals.push(...b.vals);
    } else if (!left.leaf && !b.leaf) {
      ownKeys(left).push(parent.keys[li], ...b.keys);
      left.children.push(...b.children);
      left.count += b.count;
    }
    parent.children[li] = left;
    arrRemove(parent.children, li + 1);
    keysRemove(parent, li);
  }
}

function countOf<V>(node: Node<V>): number {
  return node.leaf ? node.keys.length : node.count;
}

function sumCounts<V>(children: readonly Node<V>[]): number {
  let n = 0;
  for (const c of children) n += countOf(c);
  return n;
}

/**
 * Checks the tree's invariants (sorted keys, separators bound their children, counts, equal
 * leaf depth); throws on the first violation. Run under `KLOOP_VALIDATE=1`.
 */
export function validateTree<V>(tree: Tree<V>): void {
  let leafDepth = -1;
  const check = (node: Node<V>, lo: string | undefined, hi: string | undefined, depth: number): number => {
    for (let i = 1; i < node.keys.length; i++) {
      if (!(node.keys[i - 1] < node.keys[i])) throw new Error(`btree: keys out of order at depth ${depth}`);
    }
    if (node.leaf) {
      if (node.keys.length !== node.vals.length) throw new Error('btree: keys/vals length mismatch');
      if (leafDepth === -1) leafDepth = depth;
      else if (leafDepth !== depth) throw new Error('btree: leaves at different depths');
      for (const k of node.keys) {
        if ((lo !== undefined && k < lo) || (hi !== undefined && k >= hi)) throw new Error('btree: key outside bounds');
      }
      return node.keys.length;
    }
    if (node.keys.length !== node.children.length - 1) throw new Error('btree: separator count mismatch');
    let total = 0;
    for (let i = 0; i < node.children.length; i++) {
      total += check(
        node.children[i],
        i === 0 ? lo : node.keys[i - 1],
        i === node.keys.length ? hi : node.keys[i],
        depth + 1,
      );
    }
    if (total !== node.count) throw new Error(`btree: count ${node.count} != ${total}`);
    return total;
  };
  const n = check(tree.root, undefined, undefined, 0);
  if (n !== tree.size) throw new Error(`btree: size ${tree.size} != ${n}`);
}
