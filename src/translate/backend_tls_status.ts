/**
 * The status of each BackendTLSPolicy: one `ancestors` entry per Gateway of
 * ours with an accepted route to a Service the policy targets, carrying the
 * policy's Accepted and ResolvedRefs conditions. A policy no route of ours
 * uses any more gets an empty list, so the entries we wrote are cleared.
 * @module
 */
import type { ObjectStatus } from "../model/config.ts";
import { backendTlsPolicies } from "./backend_tls.ts";
import { compareStrings, type TranslateContext } from "./context.ts";
import { GATEWAY_GROUP } from "./listener.ts";
import type { CompiledRoute } from "./route_rules.ts";

/** Where routes record the Gateways that serve them (see {@linkcode PolicyAncestors}). */
export interface AncestorSink {
  add(route: CompiledRoute, gateway: string): void;
}

/**
 * Gateways (`ns/name`) per Service (`ns/name`), gathered while routes
 * attach; counted, so that kept attachments (`route_attachments.ts`) can
 * take back what a route that attaches again had added.
 */
export class PolicyAncestors implements AncestorSink {
  readonly #byService = new Map<string, Map<string, number>>();

  /** Records that `gateway` serves `route`, and so every Service its backends name. */
  add(route: CompiledRoute, gateway: string): void {
    for (const service of servicesOf(route)) {
      let gateways = this.#byService.get(service);
      if (gateways === undefined) this.#byService.set(service, gateways = new Map());
      gateways.set(gateway, (gateways.get(gateway) ?? 0) + 1);
    }
  }

  /** Takes back one earlier `add(route, gateway)`. */
  remove(route: CompiledRoute, gateway: string): void {
    for (const service of servicesOf(route)) {
      const gateways = this.#byService.get(service);
      const count = gateways?.get(gateway);
      if (count === undefined) continue;
      if (count > 1) gateways!.set(gateway, count - 1);
      else {
        gateways!.delete(gateway);
        if (gateways!.size === 0) this.#byService.delete(service);
      }
    }
  }

  /** The Gateways serving a route to `service` (`ns/name`). */
  gatewaysOf(service: string): Iterable<string> {
    return this.#byService.get(service)?.keys() ?? [];
  }

  clear(): void {
    this.#byService.clear();
  }
}

/** The Services (`ns/name`) `route`'s backends name, once per backend. */
function* servicesOf(route: CompiledRoute): Generator<string> {
  for (const rule of route.rules) {
    for (const backend of rule.config.backends) {
      // `service/<ns>/<name>:<port>`
      yield backend.id.slice("service/".length, backend.id.lastIndexOf(":"));
    }
  }
}

/** Statuses of the policies that have ancestors now or had our entries before. */
export function backendTlsPolicyStatuses(
  ctx: TranslateContext,
  ancestors: PolicyAncestors,
): ObjectStatus[] {
  const controllerName = ctx.options.controllerName;
  const out: ObjectStatus[] = [];
  for (const evaluated of backendTlsPolicies(ctx)) {
    const { policy } = evaluated;
    const generation = policy.metadata.generation ?? 0;
    // Every policy targeting a Service our Gateways route to reports there,
    // conflicted and invalid ones included: that is where users look.
    const namespace = policy.metadata.namespace ?? "default";
    const found = new Set<string>();
    for (const target of policy.spec.targetRefs) {
      if (target.group !== "" || target.kind !== "Service") continue;
      for (const gateway of ancestors.gatewaysOf(`${namespace}/${target.name}`)) {
        found.add(gateway);
      }
    }
    const gateways = [...found].sort(compareStrings);
    const hadOurs = (policy.status?.ancestors ?? []).some((a) =>
      a.controllerName === controllerName
    );
    if (gateways.length === 0 && !hadOurs) continue;
    out.push({
      kind: "BackendTLSPolicy",
      namespace: policy.metadata.namespace ?? "default",
      name: policy.metadata.name,
      generation,
      status: {
        ancestors: gateways.map((key) => {
          const [namespace, name] = key.split("/");
          return {
            ancestorRef: { group: GATEWAY_GROUP, kind: "Gateway", namespace, name },
            controllerName,
            conditions: evaluated.conditions.map((c) => ({ ...c, observedGeneration: generation })),
          };
        }),
      },
    });
  }
  return out;
}
