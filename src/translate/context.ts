/**
 * Lookup indexes over a snapshot, built once per `translate` call, and the
 * problem list every stage appends to. Internal to `translate`.
 * @module
 */
import type { ConfigMap, EndpointSlice, Secret, Service } from "../resources/core_types.ts";
import type { KubeObject } from "../resources/object_meta.ts";
import type { Problem, TranslateOptions } from "../model/config.ts";
import type { Snapshot } from "../model/snapshot.ts";
import { objectId } from "./ids.ts";
import { lookupKey, SnapshotIndexes } from "./snapshot_indexes.ts";
import { isReferenceAllowed, type ReferenceFrom, type ReferenceTo } from "./reference_grant.ts";
import {
  configMapKey,
  grantsKey,
  namespaceKey,
  secretKey,
  serviceKey,
  slicesKey,
} from "./dependency_keys.ts";

/** Everything the translation stages read, indexed. */
export interface TranslateContext {
  readonly options: TranslateOptions;
  readonly snapshot: Snapshot;
  /** Labels of a namespace; unknown namespaces get only `kubernetes.io/metadata.name`. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>>;
  service(namespace: string, name: string): Service | undefined;
  /** EndpointSlices labelled `kubernetes.io/service-name: <name>` in `namespace`, by name. */
  endpointSlices(namespace: string, service: string): readonly EndpointSlice[];
  secret(namespace: string, name: string): Secret | undefined;
  /** A ConfigMap (BackendTLSPolicy and frontend validation CA bundles). */
  configMap(namespace: string, name: string): ConfigMap | undefined;
  /** Whether a ReferenceGrant allows `from` → `to` (see `reference_grant.ts`). */
  referenceAllowed(from: ReferenceFrom, to: ReferenceTo): boolean;
  /**
   * While set, every lookup above adds the key of what it asked for, found
   * or not (`dependency_keys.ts`): what a compiled route or the listeners
   * were built from.
   */
  reads: Set<string> | undefined;
  /** Per-call memo (e.g. endpoints of a Service port shared by many routes). */
  readonly cache: Map<string, unknown>;
  /**
   * What a memo keeps from one translate to the next by input object (a
   * Secret's parsed certificate): a pure function of that object alone.
   */
  readonly lasting?: WeakMap<object, unknown>;
  /** Records a user mistake. */
  problem(object: KubeObject, field: string | undefined, message: string): void;
  readonly problems: Problem[];
}

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Builds the indexes of `snapshot` (or brings `indexes`, kept from an
 * earlier snapshot, up to it).
 *
 * @example
 * ```ts
 * import { createContext } from "./context.ts";
 * import { EMPTY_SNAPSHOT } from "../model/snapshot.ts";
 * const ctx = createContext(EMPTY_SNAPSHOT, { controllerName: "example.com/gw" });
 * ctx.namespaceLabels("default"); // { "kubernetes.io/metadata.name": "default" }
 * ```
 */
export function createContext(
  snapshot: Snapshot,
  options: TranslateOptions,
  lasting?: WeakMap<object, unknown>,
  indexes: SnapshotIndexes = new SnapshotIndexes(),
): TranslateContext {
  indexes.update(snapshot);
  const namespaces = indexes.namespaceLabels;
  const services = indexes.services.byKey;
  const secrets = indexes.secrets.byKey;
  const slices = indexes.slicesByService;
  const key = lookupKey;
  const problems: Problem[] = [];
  const ctx: TranslateContext = {
    options,
    snapshot,
    namespaceLabels(namespace) {
      ctx.reads?.add(namespaceKey(namespace));
      return namespaces.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace };
    },
    service(namespace, name) {
      ctx.reads?.add(serviceKey(namespace, name));
      return services.get(key(namespace, name));
    },
    endpointSlices(namespace, service) {
      ctx.reads?.add(slicesKey(namespace, service));
      return slices.get(key(namespace, service)) ?? [];
    },
    secret(namespace, name) {
      ctx.reads?.add(secretKey(namespace, name));
      return secrets.get(key(namespace, name));
    },
    configMap(namespace, name) {
      ctx.reads?.add(configMapKey(namespace, name));
      return (snapshot.configMaps ?? []).find((m) =>
        (m.metadata.namespace ?? "default") === namespace && m.metadata.name === name
      );
    },
    referenceAllowed(from, to) {
      if (from.namespace === to.namespace) return true;
      ctx.reads?.add(grantsKey(to.namespace));
      return isReferenceAllowed(snapshot.referenceGrants, from, to);
    },
    reads: undefined,
    cache: new Map(),
    lasting,
    problem(object, field, message) {
      const problem: Problem = {
        object: objectId(object.kind, object.metadata.name, object.metadata.namespace),
        message,
      };
      if (field !== undefined) problem.field = field;
      problems.push(problem);
    },
    problems,
  };
  return ctx;
}

/** Compares two objects by creation time (oldest first), then `namespace/name`. */
export function compareByAgeThenName(a: KubeObject, b: KubeObject): number {
  const byAge = compareTimestamps(a.metadata.creationTimestamp, b.metadata.creationTimestamp);
  if (byAge !== 0) return byAge;
  return compareByName(a, b);
}

/** Compares two objects by namespace, then name. */
export function compareByName(a: KubeObject, b: KubeObject): number {
  return compareStrings(a.metadata.namespace ?? "", b.metadata.namespace ?? "") ||
    compareStrings(a.metadata.name, b.metadata.name);
}

/** `namespace/name` (or `name` for cluster-scoped objects). */
export function namespacedName(object: KubeObject): string {
  return object.metadata.namespace === undefined
    ? object.metadata.name
    : `${object.metadata.namespace}/${object.metadata.name}`;
}

/** Plain code-unit string comparison, for deterministic output independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares RFC 3339 timestamps, oldest first. A missing or unparsable
 * timestamp sorts as oldest, so objects from manifests without timestamps
 * fall back to name order among themselves.
 */
export function compareTimestamps(a: string | undefined, b: string | undefined): number {
  const na = timestampMs(a);
  const nb = timestampMs(b);
  return na === nb ? 0 : na < nb ? -1 : 1;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp; missing or unparsable: -Infinity (oldest). */
export function timestampMs(value: string | undefined): number {
  if (value === undefined) return Number.NEGATIVE_INFINITY;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}
