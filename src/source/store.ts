/**
 * The cache every source writes into. An insert reports whether anything
 * changed; changes arm the one holdoff (`time/holdoff.ts`, leading-edge: a
 * change that finds it idle is signalled on the next turn of the event loop;
 * changes that come while the last signal's listeners ran, or within as long
 * again after them (or `holdoffMs`, when longer), share the next one), so a
 * lone change is applied at once, rebuilds take at most about half the
 * event loop's time, and a thousand watch events cost a handful of
 * rebuilds. Sources write as they read and hold nothing off
 * themselves. `version()` counts changes, so a reader that already built
 * from the latest version can skip the signal that follows.
 *
 * @example
 * ```ts
 * import { createStore } from "./store.ts";
 * const store = createStore({ holdoffMs: 10 });
 * store.onChange(() => console.log(store.snapshot().gateways.length));
 * ```
 * @module
 */
import { type GatewayResource, RESOURCE_KINDS, type ResourceKind } from "../resources/types.ts";
import type { Snapshot } from "../model/snapshot.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import { Holdoff } from "../time/holdoff.ts";
import { sameForTranslate } from "../resources/translate_relevance.ts";
import { KindLists } from "./kind_lists.ts";

/** Options of {@linkcode createStore}. */
export interface StoreOptions {
  /**
   * Least time from the end of one change signal to the next, besides as
   * long as its listeners took. Default 0: a change that comes once the
   * last rebuild is done and was given its own length in free time is
   * applied at once (a fixed 10 ms made a change that followed a quick
   * rebuild wait for nothing).
   */
  holdoffMs?: number;
  /**
   * With `trailing`: longest a change waits while changes keep coming.
   * Default 500 ms.
   */
  maxDelayMs?: number;
  /**
   * `trailing` makes it the older quiet-time holdoff (each change restarts
   * `holdoffMs`, capped by `maxDelayMs`). Default leading-edge.
   */
  trailing?: boolean;
  /** Measures the holdoff. Default the system clock. */
  clock?: Clock;
}

/** A cache of objects by kind, namespace and name. */
export interface Store {
  /**
   * Inserts or replaces; `true` if the stored object changed. A new version
   * that `translate` cannot tell from the old (our own status write coming
   * back, say) is stored without a change signal.
   */
  upsert(object: GatewayResource): boolean;
  /** Removes; `true` if something was removed. */
  delete(kind: ResourceKind, namespace: string | undefined, name: string): boolean;
  /** Replaces every object of `kind` (a relist); `true` if anything changed. */
  replaceKind(kind: ResourceKind, objects: readonly GatewayResource[]): boolean;
  /**
   * Signals a change that is not an object change (a source's problems),
   * through the same holdoff, so listeners rebuild and report it.
   */
  touch(): void;
  /** Counts changes (object changes and touches); starts at 0. */
  version(): number;
  /** Objects of one kind. */
  list(kind: ResourceKind): GatewayResource[];
  /** The object of `kind` named `namespace/name` (cluster-scoped: no namespace), if stored. */
  get(kind: ResourceKind, namespace: string | undefined, name: string): GatewayResource | undefined;
  /** A consistent, frozen copy of everything. */
  snapshot(): Snapshot;
  /** Registers a debounced change listener; returns its removal. */
  onChange(listener: () => void): () => void;
  /**
   * Registers a listener told at once of each new version stored without a
   * change signal (one `translate` cannot tell from the old: a status written
   * by us or by someone else); returns its removal. The status writer uses it
   * to check that object's status again.
   */
  onQuietChange(listener: (object: GatewayResource) => void): () => void;
  /**
   * When the changes behind the latest change signal began and when that
   * signal went out (the clock's ms), so a reader can tell the holdoff's
   * share of a change's way to being served; `undefined` before the first.
   */
  lastSignal(): { changedAt: number; signalledAt: number } | undefined;
  /** Runs pending listeners now (tests, reload). */
  flush(): void;
  /** Clears timers. */
  close(): void;
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function sameObject(a: GatewayResource, b: GatewayResource): boolean {
  // The files source hands back the very object of a file that did not change.
  if (a === b) return true;
  const rvA = a.metadata.resourceVersion;
  const rvB = b.metadata.resourceVersion;
  // Objects from the API server: the resourceVersion changes with every write.
  if (rvA !== undefined && rvB !== undefined && rvA === rvB) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Creates an empty store. */
export function createStore(options: StoreOptions = {}): Store {
  return new ObjectStore(options);
}

/** The store: objects by kind and key, the version and the change signal in named fields. */
class ObjectStore implements Store {
  readonly #byKind = new Map<ResourceKind, Map<string, GatewayResource>>(
    RESOURCE_KINDS.map((k) => [k, new Map()]),
  );
  readonly #listeners = new Set<() => void>();
  readonly #quietListeners = new Set<(object: GatewayResource) => void>();
  readonly #holdoff: Holdoff;
  readonly #clock: Clock;
  #version = 0;
  /**
   * Each kind's list as the last snapshot handed it out, until that kind
   * changes: an unchanged kind is the very same array in the next snapshot,
   * and a changed one says which objects changed, so `translate` reads one
   * change as that change instead of walking thousands of objects.
   */
  readonly #lists = new KindLists();
  /** The first change not signalled yet. */
  #changedAt: number | undefined;
  #lastSignal: { changedAt: number; signalledAt: number } | undefined;

  constructor(options: StoreOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#holdoff = new Holdoff({
      holdoffMs: options.holdoffMs ?? 0,
      maxDelayMs: options.maxDelayMs ?? 500,
      leading: !options.trailing,
      clock: this.#clock,
      fire: () => {
        const signalledAt = this.#clock.now();
        this.#lastSignal = { changedAt: this.#changedAt ?? signalledAt, signalledAt };
        this.#changedAt = undefined;
        for (const listener of [...this.#listeners]) listener();
      },
    });
  }

  upsert(object: GatewayResource): boolean {
    const map = this.#mapOf(object.kind);
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    const old = map.get(key);
    if (old && sameObject(old, object)) return false;
    this.#lists.touch(object.kind, key, old);
    map.set(key, object);
    if (!old || !sameForTranslate(old, object)) this.#changed();
    else this.#quiet(object);
    return true;
  }

  delete(kind: ResourceKind, namespace: string | undefined, name: string): boolean {
    const map = this.#mapOf(kind);
    const key = keyOf(namespace, name);
    const old = map.get(key);
    if (old === undefined) return false;
    this.#lists.touch(kind, key, old);
    map.delete(key);
    this.#changed();
    return true;
  }

  replaceKind(kind: ResourceKind, objects: readonly GatewayResource[]): boolean {
    const map = this.#mapOf(kind);
    const next = new Map<string, GatewayResource>();
    for (const o of objects) next.set(keyOf(o.metadata.namespace, o.metadata.name), o);
    let differs = next.size !== map.size;
    let matters = differs;
    const quiet: GatewayResource[] = [];
    for (const [key, o] of next) {
      const old = map.get(key);
      if (old && sameObject(old, o)) continue;
      differs = true;
      if (old && sameForTranslate(old, o)) quiet.push(o);
      else matters = true;
    }
    if (!differs) return false;
    this.#byKind.set(kind, next);
    this.#lists.replace(kind);
    if (matters) this.#changed();
    for (const o of quiet) this.#quiet(o);
    return true;
  }

  touch(): void {
    this.#changed();
  }

  version(): number {
    return this.#version;
  }

  list(kind: ResourceKind): GatewayResource[] {
    return [...this.#mapOf(kind).values()];
  }

  get(
    kind: ResourceKind,
    namespace: string | undefined,
    name: string,
  ): GatewayResource | undefined {
    return this.#byKind.get(kind)?.get(keyOf(namespace, name));
  }

  snapshot(): Snapshot {
    const all = <T>(kind: ResourceKind) =>
      this.#lists.list(kind, this.#mapOf(kind)) as readonly unknown[] as readonly T[];
    return Object.freeze({
      gatewayClasses: all("GatewayClass"),
      gateways: all("Gateway"),
      listenerSets: all("ListenerSet"),
      httpRoutes: all("HTTPRoute"),
      grpcRoutes: all("GRPCRoute"),
      tlsRoutes: all("TLSRoute"),
      referenceGrants: all("ReferenceGrant"),
      services: all("Service"),
      endpointSlices: all("EndpointSlice"),
      secrets: all("Secret"),
      namespaces: all("Namespace"),
      backendTLSPolicies: all("BackendTLSPolicy"),
      configMaps: all("ConfigMap"),
    }) as Snapshot;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onQuietChange(listener: (object: GatewayResource) => void): () => void {
    this.#quietListeners.add(listener);
    return () => this.#quietListeners.delete(listener);
  }

  lastSignal(): { changedAt: number; signalledAt: number } | undefined {
    return this.#lastSignal;
  }

  flush(): void {
    this.#holdoff.flush();
  }

  close(): void {
    this.#holdoff.cancel();
    this.#listeners.clear();
    this.#quietListeners.clear();
  }

  #quiet(object: GatewayResource): void {
    for (const listener of [...this.#quietListeners]) listener(object);
  }

  #changed(): void {
    this.#version += 1;
    this.#changedAt ??= this.#clock.now();
    this.#holdoff.arm();
  }

  #mapOf(kind: ResourceKind): Map<string, GatewayResource> {
    const map = this.#byKind.get(kind);
    if (!map) throw new TypeError(`Cannot store object: unknown kind "${kind}"`);
    return map;
  }
}
