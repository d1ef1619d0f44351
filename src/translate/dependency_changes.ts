/**
 * What changed between two snapshots besides the routes, as dependency keys
 * (`dependency_keys.ts`), and an index from each key to what was built from
 * it: together they let one changed Service, EndpointSlice, Secret,
 * ReferenceGrant, Namespace, ConfigMap or BackendTLSPolicy cost the routes
 * that read it, instead of every route.
 * @module
 */
import type { KubeObject } from "../resources/object_meta.ts";
import { sameForTranslate } from "../resources/translate_relevance.ts";
import { changedKeys } from "./dependency_keys.ts";
import { walkChanges } from "./route_diff.ts";

/** What changed in the snapshot's lists other than routes. */
export interface DependencyChanges {
  /** Nothing can be kept (first translate, new options, too many changes, unknown kind). */
  everything: boolean;
  /** Listeners may differ: Gateways, classes, ListenerSets, or what listeners read. */
  listeners: boolean;
  /** The keys the changed objects answer for. */
  keys: Set<string>;
}

/** More changed objects of one kind than this: nothing is kept. */
const MOST_CHANGES = 256;

/** Kinds translate works out whole each time: nothing kept depends on them. */
const REBUILT_KINDS: ReadonlySet<string> = new Set(["tlsRoutes"]);

/** Kinds whose change reaches the listeners. */
const LISTENER_KINDS: ReadonlySet<string> = new Set(["gatewayClasses", "gateways", "listenerSets"]);

function nameKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/**
 * Adds to `into` what changed from `before` to `after`, two versions of the
 * snapshot list `kind`. A new version that translate cannot tell from the
 * old (our own status write came back) is no change.
 */
export function collectChanges(
  kind: string,
  before: readonly unknown[],
  after: readonly unknown[],
  into: DependencyChanges,
): void {
  if (before === after || REBUILT_KINDS.has(kind)) return;
  const walked = walkChanges(before as KubeObject[], after as KubeObject[], 2 * MOST_CHANGES);
  if (walked === undefined) {
    into.everything = true;
    return;
  }
  const gone = new Map<string, KubeObject>();
  for (const object of walked.gone) gone.set(nameKey(object), object);
  const changed: KubeObject[] = [];
  for (const object of walked.upserts) {
    const old = gone.get(nameKey(object));
    if (old !== undefined) {
      gone.delete(nameKey(object));
      if (old === object || sameForTranslate(old, object)) continue;
      changed.push(old);
    }
    changed.push(object);
  }
  changed.push(...gone.values());
  for (const object of changed) {
    if (LISTENER_KINDS.has(kind)) {
      into.listeners = true;
      continue;
    }
    const keys = changedKeys(kind, object);
    if (keys === undefined) into.everything = true;
    else for (const key of keys) into.keys.add(key);
  }
}

const NO_KEYS: readonly string[] = Object.freeze([]);

/**
 * Which dependents (compiled routes, attached routes: by their own key) were
 * built from which dependency keys.
 *
 * @example
 * ```ts
 * import { DependentsIndex } from "./dependency_changes.ts";
 * const index = new DependentsIndex();
 * index.set("HTTPRoute/shop/web", ["Service/shop/web"]);
 * [...index.dependentsOf(new Set(["Service/shop/web"]))]; // ["HTTPRoute/shop/web"]
 * ```
 */
export class DependentsIndex {
  #byKey = new Map<string, Set<string>>();
  #keysOf = new Map<string, readonly string[]>();
  /**
   * Each distinct list of keys once, shared by every dependent built from
   * it: thousands of routes read the same Service, slices and namespace, and
   * each kept its own list and its own copies of those key strings.
   */
  #lists = new Map<string, { keys: readonly string[]; users: number }>();

  /**
   * Records that `dependent` was built from `keys` (replacing what it was
   * built from before); returns the (shared, frozen) list of those keys.
   */
  set(dependent: string, keys: Iterable<string>): readonly string[] {
    this.delete(dependent);
    const given = [...keys];
    if (given.length === 0) return NO_KEYS;
    const id = given.join("\n");
    let shared = this.#lists.get(id);
    if (shared === undefined) {
      this.#lists.set(id, shared = { keys: Object.freeze(given), users: 0 });
    }
    shared.users += 1;
    const list = shared.keys;
    this.#keysOf.set(dependent, list);
    for (const key of list) {
      let set = this.#byKey.get(key);
      if (set === undefined) this.#byKey.set(key, set = new Set());
      set.add(dependent);
    }
    return list;
  }

  /** The keys `dependent` was built from. */
  keysOf(dependent: string): readonly string[] {
    return this.#keysOf.get(dependent) ?? [];
  }

  /** Forgets `dependent`. */
  delete(dependent: string): void {
    const keys = this.#keysOf.get(dependent);
    if (keys === undefined) return;
    this.#keysOf.delete(dependent);
    const id = keys.join("\n");
    const shared = this.#lists.get(id);
    if (shared !== undefined && --shared.users === 0) this.#lists.delete(id);
    for (const key of keys) {
      const set = this.#byKey.get(key)!;
      set.delete(dependent);
      if (set.size === 0) this.#byKey.delete(key);
    }
  }

  /** Every dependent built from one of `keys`. */
  dependentsOf(keys: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    for (const key of keys) for (const dependent of this.#byKey.get(key) ?? []) out.add(dependent);
    return out;
  }

  /** Whether some dependent was built from one of `keys`. */
  anyOf(keys: ReadonlySet<string>): boolean {
    for (const key of keys) if (this.#byKey.has(key)) return true;
    return false;
  }

  clear(): void {
    this.#byKey.clear();
    this.#keysOf.clear();
    this.#lists.clear();
  }
}
