/**
 * Validation of objects received from the API server, as `Problem`s keyed
 * the way the rest of the gateway names objects (`httproute/<ns>/<name>`).
 *
 * @module
 */
import type { GatewayResource, ResourceKind } from "../resources/types.ts";
import type { Problem } from "../translate/config.ts";
import type { ValidationOutcome } from "./kube_watch.ts";

const KINDS = new Set<ResourceKind>([
  "GatewayClass",
  "Gateway",
  "HTTPRoute",
  "ReferenceGrant",
  "Service",
  "EndpointSlice",
  "Secret",
  "Namespace",
]);

/** Checks the envelope every object must have (kind, apiVersion, metadata.name). */
export function validateKubeObject(raw: unknown): ValidationOutcome {
  const o = raw as { kind?: unknown; apiVersion?: unknown; metadata?: Record<string, unknown> };
  const name = typeof o?.metadata?.name === "string" ? o.metadata.name : "";
  const namespace = typeof o?.metadata?.namespace === "string" ? o.metadata.namespace : "";
  const kind = typeof o?.kind === "string" ? o.kind : "";
  const id = `${kind.toLowerCase() || "object"}/${namespace ? namespace + "/" : ""}${name}`;
  const problems: Problem[] = [];
  if (!KINDS.has(kind as ResourceKind)) {
    problems.push({ object: id, field: "kind", message: `unknown kind "${kind}"` });
  }
  if (typeof o?.apiVersion !== "string") {
    problems.push({ object: id, field: "apiVersion", message: "must be a string" });
  }
  if (name === "") {
    problems.push({ object: id, field: "metadata.name", message: "must be a non-empty string" });
  }
  return problems.length === 0
    ? { ok: true, object: raw as GatewayResource }
    : { ok: false, problems };
}
