/**
 * One copy of each label map an informer stores (structural sharing, as hash-consing does):
 * the pods of a ReplicaSet, the objects of one Helm release, carry the same labels, and cached
 * objects are immutable, so they can hold the same object. On 100k ConfigMaps whose labels come
 * in 10 combinations, a labels object of 48 B per object becomes 10 objects in all; label
 * values longer than 10 characters (which `JSON.parse` does not internalize) are shared too.
 *
 * Finding the shared copy must cost little next to parsing: a trie of maps keyed by the values
 * in order (label values are at most 63 characters, so hashing one is cheap, and V8 keeps a
 * string's hash), with the keys compared at the leaf: about 50-90 ns of CPU an object where
 * `JSON.parse` spends several microseconds. Labels that are unique per object (a StatefulSet's
 * `pod-name`) never repeat: when fewer than a quarter of a window of lookups find a copy,
 * sharing pauses for a while, so such informers pay for a sample only.
 */

/** A label map as stored: string values only (anything else is never shared). */
type Labels = Readonly<Record<string, string>>;

/** A trie node: value -> next node; the node itself as key holds the label map ending there. */
type Node = Map<unknown, Node | Leaf>;

interface Leaf {
  labels: Labels;
  /** Its keys in order: two maps with the same values can differ in their keys. */
  keys: readonly string[];
}

/** Shared label maps kept at most; past it the trie starts again (memory stays bounded). */
const MAX_SHARED = 4096;
/** Lookups per window of the hit-rate check. */
const WINDOW = 1024;
/** Windows skipped after one in which fewer than a quarter of the lookups found a copy. */
const PAUSE_WINDOWS = 64;

/** Hands out one shared copy of each label map seen (per informer). */
export class LabelSharer {
  #root: Node = new Map();
  #shared = 0;
  #lookups = 0;
  #hits = 0;
  /** Objects still to pass by unshared before sharing is tried again. */
  #paused = 0;

  /** The shared copy of `labels` (equal keys, in the same order, and values), or `labels` itself. */
  share(labels: Labels): Labels {
    if (this.#paused > 0) {
      this.#paused--;
      return labels;
    }
    if (++this.#lookups === WINDOW) this.#endWindow();
    let node = this.#root;
    let n = 0;
    for (const k in labels) {
      const v = labels[k];
      if (typeof v !== 'string') return labels;
      let next = node.get(v) as Node | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(v, next);
      }
      node = next;
      n++;
    }
    const leaf = node.get(node) as Leaf | undefined;
    if (leaf !== undefined && sameKeys(labels, leaf.keys, n)) {
      this.#hits++;
      return leaf.labels;
    }
    if (++this.#shared > MAX_SHARED) {
      this.#root = new Map();
      this.#shared = 0;
      return labels;
    }
    // Frozen even outside validation mode: a mistaken write through one object's labels would
    // otherwise change the labels of every object sharing them.
    Object.freeze(labels);
    node.set(node, { labels, keys: Object.keys(labels) });
    return labels;
  }

  #endWindow(): void {
    if (this.#hits * 4 < WINDOW) {
      this.#paused = PAUSE_WINDOWS * WINDOW;
      // The trie of a window that found little is mostly unique maps: drop them.
      this.#root = new Map();
      this.#shared = 0;
    }
    this.#lookups = 0;
    this.#hits = 0;
  }
}

function sameKeys(labels: Labels, keys: readonly string[], n: number): boolean {
  if (keys.length !== n) return false;
  let i = 0;
  for (const k in labels) if (keys[i++] !== k) return false;
  return true;
}
