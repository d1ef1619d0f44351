/**
 * The lookup indexes of the context (Services, Secrets, EndpointSlices by
 * Service, namespace labels), kept from one translate to the next: a
 * snapshot whose lists hold mostly the objects of the last one patches
 * them with what changed (`walkChanges`) instead of indexing thousands of
 * objects again per change.
 * @module
 */
import type { EndpointSlice, Namespace, Secret, Service } from "../resources/core_types.ts";
import type { KubeObject } from "../resources/object_meta.ts";
import type { Snapshot } from "../model/snapshot.ts";
import { walkChanges } from "./route_diff.ts";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** More changes than this in one list: index it afresh. */
const MOST_CHANGES = 512;

/** `namespace/name`, as the context looks objects up. */
export function lookupKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

/** One list indexed by a key of each object; the last object of a key wins. */
class ListIndex<T extends KubeObject> {
  #list: readonly T[] | undefined;
  /** How many objects of the list have a key (counted as they come and go). */
  #keyed = 0;
  readonly byKey = new Map<string, T>();

  constructor(readonly keyOf: (object: T) => string | undefined) {}

  /** Brings the index up to `list`; the objects gone and new, or `undefined` when rebuilt. */
  update(list: readonly T[]): { gone: T[]; upserts: T[] } | undefined {
    if (list === this.#list) return { gone: [], upserts: [] };
    const walked = this.#list === undefined
      ? undefined
      : walkChanges(this.#list, list, MOST_CHANGES);
    this.#list = list;
    if (walked !== undefined) {
      for (const object of walked.gone) this.#delete(object);
      for (const object of walked.upserts) this.#set(object);
      // A key twice in the list (no store does that): the walk cannot tell which wins.
      if (this.byKey.size === this.#keyed) return walked;
    }
    this.byKey.clear();
    this.#keyed = 0;
    for (const object of list) this.#set(object);
    return undefined;
  }

  #set(object: T): void {
    const key = this.keyOf(object);
    if (key === undefined) return;
    this.#keyed++;
    this.byKey.set(key, object);
  }

  #delete(object: T): void {
    const key = this.keyOf(object);
    if (key === undefined) return;
    this.#keyed--;
    if (this.byKey.get(key) === object) this.byKey.delete(key);
  }
}

const byName = (object: KubeObject) => lookupKey(object.metadata.namespace, object.metadata.name);

/** The indexes; see the module doc. */
export class SnapshotIndexes {
  readonly services = new ListIndex<Service>(byName);
  readonly secrets = new ListIndex<Secret>(byName);
  #slices = new ListIndex<EndpointSlice>(byName);
  #namespaces = new ListIndex<Namespace>((ns) => ns.metadata.name);
  /** EndpointSlices by `namespace/service`, sorted by name. */
  readonly slicesByService = new Map<string, EndpointSlice[]>();
  /** Labels by namespace name, with `kubernetes.io/metadata.name`. */
  readonly namespaceLabels = new Map<string, Record<string, string>>();

  /** Brings every index up to `snapshot`. */
  update(snapshot: Snapshot): void {
    this.services.update(snapshot.services);
    this.secrets.update(snapshot.secrets);
    const slices = this.#slices.update(snapshot.endpointSlices);
    if (slices === undefined) {
      this.slicesByService.clear();
      for (const slice of this.#slices.byKey.values()) this.#addSlice(slice);
      for (const list of this.slicesByService.values()) list.sort(compareNames);
    } else {
      for (const slice of slices.gone) this.#removeSlice(slice);
      for (const slice of slices.upserts) {
        if (this.#slices.byKey.get(byName(slice)) === slice) {
          this.#addSlice(slice)?.sort(compareNames);
        }
      }
    }
    const namespaces = this.#namespaces.update(snapshot.namespaces);
    if (namespaces === undefined) this.namespaceLabels.clear();
    for (const ns of namespaces?.gone ?? []) this.namespaceLabels.delete(ns.metadata.name);
    for (const ns of namespaces?.upserts ?? this.#namespaces.byKey.values()) {
      if (this.#namespaces.byKey.get(ns.metadata.name) !== ns) continue;
      this.namespaceLabels.set(ns.metadata.name, {
        ...(ns.metadata.labels ?? {}),
        [NAMESPACE_NAME_LABEL]: ns.metadata.name,
      });
    }
  }

  #addSlice(slice: EndpointSlice): EndpointSlice[] | undefined {
    const owner = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (owner === undefined) return undefined;
    const key = lookupKey(slice.metadata.namespace, owner);
    let list = this.slicesByService.get(key);
    if (list === undefined) this.slicesByService.set(key, list = []);
    list.push(slice);
    return list;
  }

  #removeSlice(slice: EndpointSlice): void {
    const owner = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (owner === undefined) return;
    const key = lookupKey(slice.metadata.namespace, owner);
    const list = this.slicesByService.get(key);
    const at = list?.indexOf(slice) ?? -1;
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) this.slicesByService.delete(key);
  }
}

function compareNames(a: KubeObject, b: KubeObject): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
