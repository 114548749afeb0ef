/**
 * The A&AI simulator's object store and its indexes.
 *
 * @module
 */
import type { SimAaiObject } from "./aai.ts";
import { type ObjectRef, parseObjectPath } from "./_aai_paths.ts";

/**
 * Objects by canonical path, with the indexes the simulator needs (children
 * of each collection, objects of each type, edges) kept up to date by `set`
 * and `delete`; writes can be journaled and rolled back (bulk).
 */
export class AaiObjectStore extends Map<string, SimAaiObject> {
  #refs = new Map<string, ObjectRef>();
  #members = new Map<string, Set<string>>();
  #byType = new Map<string, Set<string>>();
  #edges = new Map<string, Map<string, string>>();
  #journal: (() => void)[] | undefined;

  /** Stores an object (its `relationship-list`, if any, is ignored). */
  override set(path: string, object: SimAaiObject): this {
    const ref = this.#refs.get(path) ?? parseObjectPath(path);
    if (ref.path !== path) {
      throw new TypeError(
        `Cannot store "${path}" in the A&AI simulator: use the canonical path "${ref.path}"`,
      );
    }
    const previous = super.get(path);
    this.#journal?.push(() => {
      if (previous === undefined) this.#removeOne(path);
      else this.set(path, previous);
    });
    const { "relationship-list": _ignored, ...properties } = object;
    super.set(path, properties);
    if (previous === undefined) {
      this.#refs.set(path, ref);
      setOf(this.#members, ref.collectionPath).add(path);
      setOf(this.#byType, ref.type.name).add(path);
    }
    return this;
  }

  /** Deletes an object, its descendants and their edges. */
  override delete(path: string): boolean {
    if (!super.has(path)) return false;
    const ref = this.#refs.get(path) as ObjectRef;
    for (const collection of Object.keys(ref.type.children)) {
      for (const child of [...this.members(`${path}/${collection}`)]) {
        this.delete(child);
      }
    }
    for (const other of [...this.edgesOf(path).keys()]) {
      this.unlink(path, other);
    }
    this.#removeOne(path);
    return true;
  }

  /** Removes everything (no journaling). */
  override clear(): void {
    super.clear();
    this.#refs.clear();
    this.#members.clear();
    this.#byType.clear();
    this.#edges.clear();
  }

  #removeOne(path: string): void {
    const previous = super.get(path);
    const ref = this.#refs.get(path);
    if (previous === undefined || !ref) return;
    this.#journal?.push(() => this.set(path, previous));
    super.delete(path);
    this.#refs.delete(path);
    this.#members.get(ref.collectionPath)?.delete(path);
    this.#byType.get(ref.type.name)?.delete(path);
  }

  /**
   * The parsed path of a stored object (simulator-internal).
   *
   * @internal
   */
  ref(path: string): ObjectRef | undefined {
    return this.#refs.get(path);
  }

  /** Paths of the objects in a collection (e.g. `…/tenant/t1/k8s-resources`). */
  members(collectionPath: string): ReadonlySet<string> {
    return this.#members.get(collectionPath) ?? EMPTY;
  }

  /** Paths of all objects of a type. */
  ofType(type: string): ReadonlySet<string> {
    return this.#byType.get(type) ?? EMPTY;
  }

  /** Edges of an object: other path → label. */
  edgesOf(path: string): ReadonlyMap<string, string> {
    return this.#edges.get(path) ?? EMPTY_EDGES;
  }

  /** Adds an edge (both directions). */
  link(a: string, b: string, label: string): void {
    if (this.edgesOf(a).get(b) === label) return;
    this.#journal?.push(() => this.unlink(a, b));
    mapOf(this.#edges, a).set(b, label);
    mapOf(this.#edges, b).set(a, label);
  }

  /** Removes an edge (both directions). */
  unlink(a: string, b: string): void {
    const label = this.edgesOf(a).get(b);
    if (label === undefined) return;
    this.#journal?.push(() => this.link(a, b, label));
    this.#edges.get(a)?.delete(b);
    this.#edges.get(b)?.delete(a);
  }

  /** Starts journaling writes, for {@linkcode AaiObjectStore.rollback}. */
  begin(): void {
    this.#journal = [];
  }

  /** Keeps the journaled writes. */
  commit(): void {
    this.#journal = undefined;
  }

  /** Undoes every write since `begin()`. */
  rollback(): void {
    const journal = this.#journal ?? [];
    this.#journal = undefined;
    for (let i = journal.length - 1; i >= 0; i--) (journal[i] as () => void)();
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const EMPTY_EDGES: ReadonlyMap<string, string> = new Map();

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, set = new Set());
  return set;
}

function mapOf<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, inner = new Map());
  return inner;
}
