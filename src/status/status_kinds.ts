/**
 * The kinds whose status subresource the status writer writes: exactly the
 * kinds `translate` reports an `ObjectStatus` for. The deploy manifests' RBAC
 * (get/patch on `<resource>/status`) is checked against this list, so a kind
 * added to `ObjectStatus` must be added here, and the compiler says so.
 *
 * @example
 * ```ts
 * import { STATUS_KINDS } from "./status_kinds.ts";
 * STATUS_KINDS.includes("HTTPRoute"); // true
 * ```
 * @module
 */
import type { ObjectStatus } from "../model/config.ts";

/** A kind the status writer writes. */
export type StatusKind = ObjectStatus["kind"];

const LISTED = [
  "GatewayClass",
  "Gateway",
  "ListenerSet",
  "HTTPRoute",
  "GRPCRoute",
  "TLSRoute",
  "BackendTLSPolicy",
] as const satisfies readonly StatusKind[];

// Compile-time check that the list names every kind of `ObjectStatus`.
type Unlisted = Exclude<StatusKind, (typeof LISTED)[number]>;
const _everyStatusKindListed: [Unlisted] extends [never] ? true : never = true;

/** Every kind the status writer writes, in the order `translate` reports them. */
export const STATUS_KINDS: readonly StatusKind[] = Object.freeze([...LISTED]);
