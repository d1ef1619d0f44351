/**
 * The status an object arrives with, as far as the gateway reads it back:
 * which addresses a Gateway held, which controllers had reported on a route
 * or a policy. Status is written by controllers, not users, so a malformed
 * entry (a manifest with a hand-written status, say) is dropped rather than
 * refusing the object, and `translate` only ever sees the shapes it reads.
 * @module
 */
import type { FieldChecker } from "./validate_fields.ts";

type Entry = Record<string, unknown>;

/** What a kept list entry must look like, by list path (`loadBalancer.ingress`). */
export type StatusLists = Record<string, (entry: Entry) => boolean>;

const optionalString = (value: unknown) => value === undefined || typeof value === "string";

/** `status.addresses` of a Gateway: `{ type?, value }` with strings. */
export const GATEWAY_STATUS_LISTS: StatusLists = {
  addresses: (e) => typeof e.value === "string" && optionalString(e.type),
};

/** `status.parents` of a route: entries naming their controller. */
export const ROUTE_STATUS_LISTS: StatusLists = {
  parents: (e) => typeof e.controllerName === "string",
};

/** `status.ancestors` of a policy: entries naming their controller. */
export const POLICY_STATUS_LISTS: StatusLists = {
  ancestors: (e) => typeof e.controllerName === "string",
};

/** `status.loadBalancer.ingress` of a Service: `{ ip?, hostname? }` with strings. */
export const SERVICE_STATUS_LISTS: StatusLists = {
  "loadBalancer.ingress": (e) => optionalString(e.ip) && optionalString(e.hostname),
};

function isEntry(value: unknown): value is Entry {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Copies `parent` with the list at `path` filtered by `keep` (objects on the way copied too). */
function keepEntries(parent: Entry, path: string[], keep: (entry: Entry) => boolean): Entry {
  const [name, ...rest] = path;
  const value = parent[name];
  if (value === undefined) return parent;
  const out = { ...parent };
  if (rest.length > 0) {
    if (isEntry(value)) out[name] = keepEntries(value, rest, keep);
    else delete out[name];
  } else {
    // `filter` leaves room for 17 entries; the copy is the list's own length.
    out[name] = Array.isArray(value) ? value.filter((e) => isEntry(e) && keep(e)).slice() : [];
  }
  return out;
}

/**
 * Reads `raw` as a status object (an error when it is not an object) and
 * keeps, of each list in `lists`, the entries of the expected shape; a
 * list that is not a list becomes empty, an object on its path that is not
 * an object is dropped.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { GATEWAY_STATUS_LISTS, readStatus } from "./validate_status.ts";
 * const status = readStatus(new FieldChecker(), { addresses: [null, { value: "10.0.0.1" }] }, GATEWAY_STATUS_LISTS);
 * console.log(status); // { addresses: [{ value: "10.0.0.1" }] }
 * ```
 */
export function readStatus(
  c: FieldChecker,
  raw: unknown,
  lists: StatusLists,
): Record<string, unknown> | undefined {
  const status = c.object(raw, "status");
  if (status === undefined) return undefined;
  let out: Entry = status;
  for (const [path, keep] of Object.entries(lists)) out = keepEntries(out, path.split("."), keep);
  return out;
}
