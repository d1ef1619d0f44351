/**
 * An HTTPRoute's status entry for one of our parents: `Accepted`,
 * `ResolvedRefs`, and `PartiallyInvalid` when some rules were dropped.
 * @module
 */
import type { Condition } from "../resources/object_meta.ts";
import type { ParentReference, RouteParentStatus } from "../resources/route_types.ts";
import { condition, ConditionType, type Outcome, Reason } from "./conditions.ts";
import { GATEWAY_GROUP } from "./listener.ts";
import type { CompiledRoute } from "./route_rules.ts";

/**
 * Why a route whose every rule is invalid is not accepted, or `undefined`
 * when at least one rule is usable. The spec: "A Route MUST be considered
 * Accepted if at least one of the Route's rules is implemented by the Gateway."
 */
export function allRulesInvalid(compiled: CompiledRoute): Outcome | undefined {
  if (compiled.invalidRules.length < compiled.ruleCount) return undefined;
  const incompatible = compiled.invalidRules.find((r) =>
    r.error.reason === Reason.IncompatibleFilters
  );
  return {
    reason: incompatible ? Reason.IncompatibleFilters : Reason.UnsupportedValue,
    message: `All rules are invalid: ${describeInvalidRules(compiled)}`,
  };
}

function describeInvalidRules(compiled: Pick<CompiledRoute, "invalidRules">): string {
  return compiled.invalidRules.map((r) => `rule ${r.index}: ${r.error.message}`).join("; ");
}

/** The parentRef as written, with the group and kind defaults the API server applies. */
export function echoParentRef(ref: ParentReference): ParentReference {
  const echo: ParentReference = {
    group: ref.group ?? GATEWAY_GROUP,
    kind: ref.kind ?? "Gateway",
    name: ref.name,
  };
  if (ref.namespace !== undefined) echo.namespace = ref.namespace;
  if (ref.sectionName !== undefined) echo.sectionName = ref.sectionName;
  if (ref.port !== undefined) echo.port = ref.port;
  return echo;
}

/** Builds one `parents[]` entry. */
export function routeParentStatus(
  ref: ParentReference,
  controllerName: string,
  accepted: Outcome & { ok: boolean },
  compiled: Pick<CompiledRoute, "resolvedRefs" | "invalidRules">,
  generation: number,
): RouteParentStatus {
  const conditions: Condition[] = [
    condition(ConditionType.Accepted, accepted.ok, accepted.reason, accepted.message, generation),
    condition(
      ConditionType.ResolvedRefs,
      compiled.resolvedRefs.ok,
      compiled.resolvedRefs.reason,
      compiled.resolvedRefs.message,
      generation,
    ),
  ];
  if (accepted.ok && compiled.invalidRules.length > 0) {
    // The spec requires this message prefix for the "Drop Rule(s)" approach.
    conditions.push(
      condition(
        ConditionType.PartiallyInvalid,
        true,
        Reason.UnsupportedValue,
        `Dropped Rule(s): ${describeInvalidRules(compiled)}`,
        generation,
      ),
    );
  }
  return { parentRef: echoParentRef(ref), controllerName, conditions };
}
