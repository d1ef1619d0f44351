/**
 * Where a routed request goes: the backend and endpoint (with that
 * backend's header modifiers), and the request-target the backend gets.
 * @module
 */
import type { BackendConfig } from "../model/config.ts";
import type { RouteMatch } from "../router/router.ts";
import type { BackendPicker } from "./backend_picker.ts";
import { textResponse } from "./client_response.ts";
import type { DataPlaneObserver } from "./observer.ts";
import { modifyPath } from "./path_modifier.ts";
import type { RequestAddress } from "./request_address.ts";
import type { BackendModifiers, RulePlan } from "./rule_plan.ts";
import type { UpstreamEndpoint } from "./upstream_types.ts";

/** The backend and endpoint a request goes to, with that backend's header modifiers. */
export interface Upstream {
  readonly backend: BackendConfig;
  readonly endpoint: UpstreamEndpoint;
  readonly modifiers: BackendModifiers;
}

/**
 * The backend and endpoint of a request (the backend's id written to
 * `out`), or the answer when there is none: 500 for a rule without a valid
 * backend, 503 (counted) for a backend without a ready endpoint.
 */
export function pickUpstream(
  picker: BackendPicker,
  observer: DataPlaneObserver,
  matched: RouteMatch,
  plan: RulePlan,
  out: { backend?: string },
): Upstream | Response {
  const backend = picker.pickBackend(matched.rule);
  if (backend === undefined) return textResponse(500, "No backend is configured for this route");
  if (backend === "invalid") {
    return textResponse(500, "The selected backend of this route is invalid");
  }
  out.backend = backend.id;
  const endpoint = picker.pickEndpoint(backend);
  if (endpoint === undefined) {
    observer.onUpstreamError(backend.id, "no_endpoints");
    return textResponse(503, `No ready endpoint for backend ${backend.id}`);
  }
  return { backend, endpoint, modifiers: plan.modifiersFor(backend) };
}

/** The target the backend gets: the rule's path rewrite applied, the query kept as sent. */
export function rewrittenTarget(matched: RouteMatch, plan: RulePlan, at: RequestAddress): string {
  if (plan.rewritePath === undefined) return at.target;
  // The rewrite works on the normalised path (what the rule matched).
  // The query string, an empty one (`/x?`) included, is kept as sent.
  const rewritten = modifyPath(at.path, matched.match, plan.rewritePath);
  const q = at.target.indexOf("?");
  return q === -1 ? rewritten : rewritten + at.target.slice(q);
}
