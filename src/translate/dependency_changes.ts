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
 * built from which dependency keys. The index keeps no entry per dependent:
 * its holder keeps the list {@linkcode DependentsIndex.set} returned (which
 * it needs anyway, to tell what the dependent read) and hands it back to
 * replace or delete the dependent, so thousands of routes cost one member
 * each in the group of the few objects they read, not a map entry each too.
 *
 * @example
 * ```ts
 * import { DependentsIndex } from "./dependency_changes.ts";
 * const index = new DependentsIndex();
 * const keys = index.set("HTTPRoute/shop/web", ["Service/shop/web"]);
 * [...index.dependentsOf(new Set(["Service/shop/web"]))]; // ["HTTPRoute/shop/web"]
 * index.delete("HTTPRoute/shop/web", keys);
 * ```
 */
export class DependentsIndex {
  /**
   * Each distinct list of keys once, with the dependents built from it:
   * thousands of routes read the same Service, slices and namespace, and a
   * set of dependents per key held each of them once per key it read.
   */
  #groups = new Map<string, KeyGroup>();
  /** The groups by their (shared, frozen) list of keys, as handed out. */
  #byList = new Map<readonly string[], KeyGroup>();
  /** The groups that read each key. */
  #byKey = new Map<string, Set<KeyGroup>>();

  /**
   * Records that `dependent` was built from `keys`, replacing `before` (the
   * list this returned for it last time, if it is recorded); returns the
   * (shared, frozen) list of those keys, to hand back later.
   */
  set(dependent: string, keys: Iterable<string>, before?: readonly string[]): readonly string[] {
    if (before !== undefined) this.delete(dependent, before);
    const given = [...keys];
    if (given.length === 0) return NO_KEYS;
    const id = given.join("\n");
    let group = this.#groups.get(id);
    if (group === undefined) {
      group = { id, keys: Object.freeze(given), members: new Set() };
      this.#groups.set(id, group);
      this.#byList.set(group.keys, group);
      for (const key of group.keys) {
        let groups = this.#byKey.get(key);
        if (groups === undefined) this.#byKey.set(key, groups = new Set());
        groups.add(group);
      }
    }
    group.members.add(dependent);
    return group.keys;
  }

  /** Forgets `dependent`, recorded with `keys` (the list `set` returned for it). */
  delete(dependent: string, keys: readonly string[]): void {
    const group = this.#byList.get(keys);
    if (group === undefined || !group.members.delete(dependent) || group.members.size > 0) return;
    this.#groups.delete(group.id);
    this.#byList.delete(group.keys);
    for (const key of group.keys) {
      const groups = this.#byKey.get(key);
      groups?.delete(group);
      if (groups?.size === 0) this.#byKey.delete(key);
    }
  }

  /** Every dependent built from one of `keys`. */
  dependentsOf(keys: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    for (const key of keys) {
      for (const group of this.#byKey.get(key) ?? []) {
        for (const dependent of group.members) out.add(dependent);
      }
    }
    return out;
  }

  /** Whether some dependent was built from one of `keys`. */
  anyOf(keys: ReadonlySet<string>): boolean {
    for (const key of keys) if (this.#byKey.has(key)) return true;
    return false;
  }

  clear(): void {
    this.#groups.clear();
    this.#byList.clear();
    this.#byKey.clear();
  }
}

/** The dependents built from one list of keys. */
interface KeyGroup {
  /** The keys joined: the group's name in `#groups`. */
  id: string;
  keys: readonly string[];
  members: Set<string>;
}
