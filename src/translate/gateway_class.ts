/**
 * GatewayClass selection: a class is ours when its `controllerName` is the
 * gateway's. Ours get an `Accepted` status and the `supportedFeatures` of
 * `features.ts`; others get nothing from us.
 * @module
 */
import type { GatewayClass } from "../resources/gateway_types.ts";
import type { ObjectStatus } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import { compareStrings } from "./context.ts";
import { condition, ConditionType, Reason } from "./conditions.ts";
import { supportedFeatures } from "./features.ts";

/** The classes this gateway serves and their statuses. */
export interface GatewayClassResult {
  /** Names of our classes with Accepted=True. */
  accepted: Set<string>;
  statuses: ObjectStatus[];
}

/**
 * Evaluates every GatewayClass. A class with a `parametersRef` is rejected
 * with `InvalidParameters`: this gateway defines no parameters kind, and the
 * spec says a class whose parameters cannot be resolved should not be
 * accepted.
 */
export function evaluateGatewayClasses(ctx: TranslateContext): GatewayClassResult {
  const accepted = new Set<string>();
  const statuses: ObjectStatus[] = [];
  const ours = ctx.snapshot.gatewayClasses
    .filter((c) => c.spec.controllerName === ctx.options.controllerName)
    .sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
  for (const gatewayClass of ours) {
    const generation = gatewayClass.metadata.generation ?? 0;
    const ok = gatewayClass.spec.parametersRef === undefined;
    if (ok) accepted.add(gatewayClass.metadata.name);
    else {
      ctx.problem(gatewayClass, "spec.parametersRef", parametersMessage(gatewayClass));
    }
    statuses.push({
      kind: "GatewayClass",
      name: gatewayClass.metadata.name,
      generation,
      status: {
        supportedFeatures: supportedFeatures({
          addressPool: ctx.options.addressPool !== undefined,
        }),
        conditions: [
          ok
            ? condition(
              ConditionType.Accepted,
              true,
              Reason.Accepted,
              "GatewayClass is accepted",
              generation,
            )
            : condition(
              ConditionType.Accepted,
              false,
              Reason.InvalidParameters,
              parametersMessage(gatewayClass),
              generation,
            ),
        ],
      },
    });
  }
  return { accepted, statuses };
}

function parametersMessage(gatewayClass: GatewayClass): string {
  const ref = gatewayClass.spec.parametersRef;
  return `Cannot resolve parametersRef ${ref?.group}/${ref?.kind} ${
    JSON.stringify(ref?.name)
  }: this controller takes no parameters`;
}
