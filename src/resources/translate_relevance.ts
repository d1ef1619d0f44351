/**
 * Whether a new version of an object can change what `translate` produces.
 * The status writer's own patches come back through the watch as new object
 * versions; at scale they are most of the events, and a rebuild for each
 * would keep the pipeline busy with work that changes nothing. A rebuild
 * reads an object's metadata and spec, and from its status only a Gateway's
 * `status.addresses` (pool addresses stick to their Gateway), a Service's
 * `status.loadBalancer` (the Gateway addresses published, read from the
 * store for each rebuild's options) and whether our
 * controller reports on a route (`status.parents`) or a policy
 * (`status.ancestors`). That last one only decides whether an unattached
 * object gets an empty status that clears our old entries; a result that
 * still asks to clear entries already gone is a no-op for the status writer,
 * which compares with the object as stored, so it is not worth a rebuild
 * (and at scale our first write to each route would be one rebuild per
 * route). Conditions, listener counts, `observedGeneration`,
 * `resourceVersion` and `managedFields` it never reads.
 *
 * Keep this in step with `translate/` and `runtime/gateway_addresses.ts`: a
 * status field they start to read belongs in {@linkcode statusSeenByTranslate}.
 *
 * @example
 * ```ts
 * import { sameForTranslate } from "./translate_relevance.ts";
 * const a = { kind: "Gateway", metadata: { name: "gw", resourceVersion: "1" }, spec: {} };
 * const b = { ...a, metadata: { name: "gw", resourceVersion: "2" }, status: { conditions: [] } };
 * sameForTranslate(a, b); // true
 * ```
 * @module
 */

type Json = Record<string, unknown>;

/** The parts of a status that a rebuild reads, as one comparable string. */
export function statusSeenByTranslate(status: unknown): string {
  if (typeof status !== "object" || status === null) return "";
  const { addresses, loadBalancer } = status as Json;
  // Absent and empty hold the same addresses: none.
  const held = Array.isArray(addresses) && addresses.length > 0 ? JSON.stringify(addresses) : "";
  return loadBalancer === undefined ? held : `${held}|${JSON.stringify(loadBalancer)}`;
}

function withoutVolatile(metadata: unknown): unknown {
  if (metadata === undefined || metadata === null || typeof metadata !== "object") return metadata;
  const { resourceVersion: _rv, managedFields: _mf, ...rest } = metadata as Json;
  return rest;
}

/**
 * `true` when `a` and `b` differ at most in what `translate` does not read
 * (see the module doc). Compares serialised forms: two objects from the same
 * API server serialise their fields in the same order.
 */
export function sameForTranslate(a: object, b: object): boolean {
  const { status: statusA, metadata: metadataA, ...restA } = a as Json;
  const { status: statusB, metadata: metadataB, ...restB } = b as Json;
  return JSON.stringify(restA) === JSON.stringify(restB) &&
    JSON.stringify(withoutVolatile(metadataA)) === JSON.stringify(withoutVolatile(metadataB)) &&
    statusSeenByTranslate(statusA) === statusSeenByTranslate(statusB);
}
