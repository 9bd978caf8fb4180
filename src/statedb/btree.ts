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

/**
 * A copy of `a` with `x` inserted at `i`, allocated once at its final size (measured twice as
 * fast as slice + push, whose pushes outgrow the slice and copy again).
 */
function copyInsert<T>(a: readonly T[], i: number, x: T): T[] {
  const n = a.length;
  const out = new Array<T>(n + 1);
  for (let j = 0; j < i; j++) out[j] = a[j];
  out[i] = x;
  for (let j = i; j < n; j++) out[j + 1] = a[j];
  return out;
}

/** A copy of `a` without index `i`; a plain copy when `i` is past the end (as `arrRemove`). */
function copyRemove<T>(a: readonly T[], i: number): T[] {
  if (i >= a.length) return a.slice();
  const n = a.length - 1;
  const out = new Array<T>(n);
  for (let j = 0; j < i; j++) out[j] = a[j];
  for (let j = i; j < n; j++) out[j] = a[j + 1];
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
 * `freeze()` hands back an immutable {@link Tree} and drops ownership of every node, so the
 * builder may go on (copying again) without ever changing the frozen tree.
 *
 * `get` remembers the path it took; a `set` or `delete` of the same key right after it (no
 * other change of this tree in between) reuses that path instead of descending again. A write
 * transaction reads the old object before it writes the new one, so every insert used to walk
 * the primary tree twice (cilium/statedb's `part.Txn.Insert` returns the old value from its one
 * descent for the same reason).
 */
export class TreeBuilder<V> {
  root: Node<V>;
  size: number;
  private owner: object;
  private readonly base: Tree<V>;
  /** The nodes and indexes of the last lookup, root first: child index on inner nodes, key index on the leaf. */
  private readonly pathNodes: Node<V>[] = [];
  private readonly pathIdx: number[] = [];
  private depth = 0;
  /** The key the path leads to; undefined once the tree changed since. */
  private pathKey: string | undefined = undefined;
  private pathHit = false;

  constructor(tree: Tree<V>, owner: object) {
    this.root = tree.root;
    this.size = tree.size;
    this.owner = owner;
    this.base = tree;
  }

  /** Looks a key up and remembers the way for a following `set` or `delete` of it. */
  get(key: string): V | undefined {
    const nodes = this.pathNodes;
    const idx = this.pathIdx;
    let node = this.root;
    let d = 0;
    while (!node.leaf) {
      const ci = childIndex(node.keys, key);
      nodes[d] = node;
      idx[d] = ci;
      d++;
      node = node.children[ci];
    }
    nodes[d] = node;
    const i = lowerIndex(node.keys, key);
    idx[d] = i;
    this.depth = d;
    this.pathKey = key;
    const hit = i < node.keys.length && node.keys[i] === key;
    this.pathHit = hit;
    return hit ? node.vals[i] : undefined;
  }

  /**
   * The tree as changed; the one it started from when nothing changed (no allocation). From
   * here on the builder owns no node: a later change copies again, as a new transaction would.
   */
  freeze(): Tree<V> {
    this.owner = {};
    if (this.root === this.base.root && this.size === this.base.size) return this.base;
    return { root: this.root, size: this.size };
  }

  /**
   * Makes every node on the remembered path (root to leaf) one this transaction owns, linking
   * each copy into its owned parent. Inner nodes are copied with their children and share their
   * keys (a descent replaces a child, not a key). The leaf is left to the caller, which knows
   * whether it replaces a value or inserts a key.
   */
  private ownPath(): void {
    const nodes = this.pathNodes;
    const idx = this.pathIdx;
    const owner = this.owner;
    const d = this.depth;
    let parent: Inner<V> | undefined;
    for (let l = 0; l < d; l++) {
      let n = nodes[l] as Inner<V>;
      if (n.owner !== owner) {
        n = { leaf: false, owner, shared: true, keys: n.keys, children: n.children.slice(), count: n.count };
        nodes[l] = n;
        if (parent === undefined) this.root = n;
        else parent.children[idx[l - 1]] = n;
      }
      parent = n;
    }
  }

  /** Links the (owned) leaf at the end of the path into its parent, or makes it the root. */
  private linkLeaf(leaf: Leaf<V>): void {
    const d = this.depth;
    this.pathNodes[d] = leaf;
    if (d === 0) this.root = leaf;
    else (this.pathNodes[d - 1] as Inner<V>).children[this.pathIdx[d - 1]] = leaf;
  }

  /** Sets key to val; returns the previous value. */
  set(key: string, val: V): V | undefined {
    if (this.pathKey !== key) this.get(key);
    this.pathKey = undefined;
    this.ownPath();
    const nodes = this.pathNodes;
    const d = this.depth;
    const i = this.pathIdx[d];
    let leaf = nodes[d] as Leaf<V>;
    const owned = leaf.owner === this.owner;
    if (this.pathHit) {
      const old = leaf.vals[i];
      if (!owned) {
        leaf = { leaf: true, owner: this.owner, shared: true, keys: leaf.keys, vals: leaf.vals.slice() };
        this.linkLeaf(leaf);
      }
      leaf.vals[i] = val;
      return old;
    }
    if (owned) {
      keysInsert(leaf, i, key);
      arrInsert(leaf.vals, i, val);
    } else {
      // One exact-size copy of each array with the new entry in place: copying first and
      // inserting after copies twice (the push outgrows the copy).
      leaf = {
        leaf: true,
        owner: this.owner,
        shared: false,
        keys: copyInsert(leaf.keys, i, key),
        vals: copyInsert(leaf.vals, i, val),
      };
      this.linkLeaf(leaf);
    }
    this.size++;
    for (let l = 0; l < d; l++) (nodes[l] as Inner<V>).count++;
    if (leaf.keys.length > MAX) this.split(leaf);
    return undefined;
  }

  /** Splits an over-full leaf at the end of the path, and every ancestor that overflows in turn. */
  private split(leaf: Leaf<V>): void {
    const nodes = this.pathNodes;
    const idx = this.pathIdx;
    const half = leaf.keys.length >> 1;
    let right: Node<V> = {
      leaf: true,
      owner: this.owner,
      shared: false,
      keys: leaf.keys.splice(half),
      vals: leaf.vals.splice(half),
    };
    let sep = right.keys[0];
    for (let l = this.depth - 1; l >= 0; l--) {
      const node = nodes[l] as Inner<V>;
      const ci = idx[l];
      keysInsert(node, ci, sep);
      arrInsert(node.children, ci + 1, right);
      if (node.children.length <= MAX) return;
      const h = node.children.length >> 1;
      const rightChildren = node.children.splice(h);
      sep = node.keys[h - 1];
      const rightKeys = node.keys.splice(h - 1).slice(1);
      const inner: Inner<V> = {
        leaf: false,
        owner: this.owner,
        shared: false,
        keys: rightKeys,
        children: rightChildren,
        count: sumCounts(rightChildren),
      };
      node.count -= inner.count;
      right = inner;
    }
    const left = this.root;
    this.root = {
      leaf: false,
      owner: this.owner,
      shared: false,
      keys: [sep],
      children: [left, right],
      count: countOf(left) + countOf(right),
    };
  }

  /** Removes key; returns the removed value or undefined when absent. */
  delete(key: string): V | undefined {
    if (this.pathKey !== key) this.get(key);
    if (!this.pathHit) return undefined;
    this.pathKey = undefined;
    this.ownPath();
    const nodes = this.pathNodes;
    const idx = this.pathIdx;
    const d = this.depth;
    const i = idx[d];
    let leaf = nodes[d] as Leaf<V>;
    const old = leaf.vals[i];
    if (leaf.owner === this.owner) {
      keysRemove(leaf, i);
      arrRemove(leaf.vals, i);
    } else {
      leaf = {
        leaf: true,
        owner: this.owner,
        shared: false,
        keys: copyRemove(leaf.keys, i),
        vals: copyRemove(leaf.vals, i),
      };
      this.linkLeaf(leaf);
    }
    this.size--;
    // Bottom-up: each parent's count, then a merge of its under-full child with a neighbour.
    for (let l = d - 1; l >= 0; l--) {
      const parent = nodes[l] as Inner<V>;
      parent.count--;
      const child = nodes[l + 1];
      const n = child.leaf ? child.keys.length : child.children.length;
      if (n < MIN) this.rebalance(parent, idx[l]);
    }
    // Collapse a root left with a single child so the height shrinks with the data.
    let r: Node<V> = this.root;
    while (!r.leaf && r.children.length === 1) r = r.children[0];
    this.root = !r.leaf && r.children.length === 0 ? (EMPTY_LEAF as Leaf<V>) : r;
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
    const left = this.ownNode(a);
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

  /** A copy of `node` this transaction may change (itself when it already may). */
  private ownNode<N extends Node<V>>(node: N): N {
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
