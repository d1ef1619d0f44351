/**
 * Gateway listeners: protocol support, TLS mode, allowed route kinds and
 * the listener status the spec asks for. HTTP and HTTPS listeners serve
 * HTTPRoutes; TLS listeners (Passthrough or Terminate) serve TLSRoutes.
 * @module
 */
import type {
  Gateway,
  Listener,
  ListenerStatus,
  RouteGroupKind,
} from "../resources/gateway_types.ts";
import type { ListenerSet } from "../resources/listener_set_types.ts";
import type { Condition } from "../resources/object_meta.ts";
import type { CertificateConfig } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import { condition, ConditionType, type Outcome, Reason } from "./conditions.ts";
import { listenerId } from "./ids.ts";
import { markConflictsWithinGateway } from "./listener_conflicts.ts";
import type { ListenerState } from "./listener_state.ts";
import { resolveCertificates } from "./tls.ts";
import { evaluateFrontendValidation } from "./frontend_validation.ts";

/** The Gateway API group. */
export const GATEWAY_GROUP = "gateway.networking.k8s.io";

/**
 * Evaluates the listeners of one Gateway, including conflicts among them
 * (see `listener_conflicts.ts`).
 */
export function evaluateListeners(ctx: TranslateContext, gateway: Gateway): ListenerState[] {
  const namespace = gateway.metadata.namespace ?? "default";
  const states = evaluateListenerEntries(
    ctx,
    gateway,
    gateway,
    (listener) => listenerId(namespace, gateway.metadata.name, listener.name),
  );
  markConflictsWithinGateway(ctx, states);
  return states;
}

/**
 * Evaluates the listeners `owner` declares (a Gateway's own, or a
 * ListenerSet's) for serving on `gateway`, each under the id `idOf` gives
 * it; conflicts are the caller's to mark.
 */
export function evaluateListenerEntries(
  ctx: TranslateContext,
  gateway: Gateway,
  owner: Gateway | ListenerSet,
  idOf: (listener: Listener) => string,
): ListenerState[] {
  return owner.spec.listeners.map((listener, i): ListenerState => {
    const field = `spec.listeners[${i}]`;
    const base = {
      gateway,
      owner,
      listener,
      id: idOf(listener),
      field,
      attachedRoutes: new Set<string>(),
      certificates: [] as CertificateConfig[],
    };
    const resolvedOk = {
      ok: true,
      reason: Reason.ResolvedRefs,
      message: "All references are resolved",
    };
    const refused = refusedListener(ctx, owner, listener, field);
    if (refused !== undefined) {
      return {
        ...base,
        ...(refused.reason === Reason.UnsupportedProtocol
          ? {}
          : { protocol: listener.protocol as ServedProtocol }),
        supportedKinds: [],
        accepted: { ok: false, ...refused },
        resolvedRefs: resolvedOk,
      };
    }
    checkNamespaces(ctx, owner, listener, field);
    const kinds = routeKinds(ctx, owner, listener, field);
    let resolvedRefs: Outcome & { ok: boolean } = kinds.invalid
      ? { ok: false, ...kinds.invalid }
      : resolvedOk;
    let certificates: CertificateConfig[] = [];
    let accepted: Outcome & { ok: boolean } = {
      ok: true,
      reason: Reason.Accepted,
      message: "Listener is accepted",
    };
    let frontend: ReturnType<typeof evaluateFrontendValidation>;
    let partialCaRefs = false;
    if (terminatesTls(listener)) {
      const resolution = resolveCertificates(ctx, owner, listener, field);
      if (resolution.ok) certificates = resolution.certificates;
      else resolvedRefs = { ok: false, reason: resolution.reason, message: resolution.message };
      if (listener.protocol === "HTTPS") {
        frontend = evaluateFrontendValidation(ctx, gateway, listener);
      }
      if (frontend?.resolvedRefs && resolvedRefs.ok) {
        resolvedRefs = frontend.resolvedRefs;
        partialCaRefs = frontend.config !== undefined;
      }
      if (frontend?.accepted) accepted = frontend.accepted;
    }
    return {
      ...base,
      protocol: listener.protocol as ServedProtocol,
      supportedKinds: kinds.supported,
      accepted,
      resolvedRefs,
      certificates,
      ...(frontend?.config ? { clientValidation: frontend.config } : {}),
      ...(partialCaRefs ? { partialCaRefs } : {}),
    };
  });
}

/** The protocols this gateway serves. */
type ServedProtocol = "HTTP" | "HTTPS" | "TLS";

/**
 * Why a listener cannot be served at all: a protocol other than HTTP, HTTPS
 * and TLS (`UnsupportedProtocol`), or an HTTPS listener in Passthrough mode
 * (`UnsupportedValue`; the API rejects it too). TLS listeners pass through or
 * terminate. `undefined` when it can be served.
 */
function refusedListener(
  ctx: TranslateContext,
  owner: Gateway | ListenerSet,
  listener: Listener,
  field: string,
): Outcome | undefined {
  const protocol = listener.protocol;
  if (protocol !== "HTTP" && protocol !== "HTTPS" && protocol !== "TLS") {
    const message = `Cannot serve listener "${listener.name}": protocol ${
      JSON.stringify(protocol)
    } is not supported, only HTTP, HTTPS and TLS`;
    ctx.problem(owner, `${field}.protocol`, message);
    return { reason: Reason.UnsupportedProtocol, message };
  }
  const mode = listener.tls?.mode ?? "Terminate";
  if (protocol === "HTTP" || protocol === "TLS" || mode === "Terminate") return undefined;
  const message = `Cannot serve ${protocol} listener "${listener.name}": tls.mode ${
    JSON.stringify(mode)
  } is not supported, only Terminate`;
  ctx.problem(owner, `${field}.tls.mode`, message);
  return { reason: Reason.UnsupportedValue, message };
}

/** The route kinds a listener of `protocol` serves: TLSRoute on TLS, HTTPRoute and GRPCRoute otherwise. */
export function servedRouteKinds(protocol: string | undefined): readonly string[] {
  return protocol === "TLS" ? ["TLSRoute"] : ["HTTPRoute", "GRPCRoute"];
}

function routeKinds(
  ctx: TranslateContext,
  owner: Gateway | ListenerSet,
  listener: Listener,
  field: string,
): { supported: RouteGroupKind[]; invalid?: Outcome } {
  const served = servedRouteKinds(listener.protocol);
  const kinds = listener.allowedRoutes?.kinds;
  if (kinds === undefined) {
    return { supported: served.map((kind) => ({ group: GATEWAY_GROUP, kind })) };
  }
  const supported: RouteGroupKind[] = [];
  const unsupported: string[] = [];
  kinds.forEach((k, i) => {
    const group = k.group ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && served.includes(k.kind)) {
      if (!supported.some((s) => s.kind === k.kind)) supported.push({ group, kind: k.kind });
    } else {
      unsupported.push(`${group}/${k.kind}`);
      ctx.problem(
        owner,
        `${field}.allowedRoutes.kinds[${i}]`,
        `Cannot allow route kind ${JSON.stringify(k.kind)} in group ${
          JSON.stringify(group)
        }: only ${served.join(" and ")} of gateway.networking.k8s.io ${
          served.length > 1 ? "are" : "is"
        } supported`,
      );
    }
  });
  if (unsupported.length === 0) return { supported };
  return {
    supported,
    invalid: {
      reason: Reason.InvalidRouteKinds,
      message: `Route kinds ${unsupported.join(", ")} are not supported`,
    },
  };
}

/** Reports `allowedRoutes.namespaces` settings that admit no route at all. */
function checkNamespaces(
  ctx: TranslateContext,
  owner: Gateway | ListenerSet,
  listener: Listener,
  field: string,
): void {
  const namespaces = listener.allowedRoutes?.namespaces;
  const from = namespaces?.from ?? "Same";
  if (from !== "All" && from !== "Same" && from !== "Selector") {
    ctx.problem(
      owner,
      `${field}.allowedRoutes.namespaces.from`,
      `Cannot allow routes from ${
        JSON.stringify(from)
      }: expected All, Same or Selector; no route may attach`,
    );
  } else if (from === "Selector" && !namespaces?.selector) {
    ctx.problem(
      owner,
      `${field}.allowedRoutes.namespaces.selector`,
      "Cannot select namespaces: from is Selector but selector is missing; no route may attach",
    );
  }
}

/** Whether the listener goes into the data-plane config. */
export function isProgrammed(state: ListenerState): boolean {
  // Unsupported route kinds only narrow what may attach; the listener still serves HTTPRoutes,
  // unless no supported kind is left, and then it would serve nothing.
  const refsUsable = state.resolvedRefs.ok || state.partialCaRefs === true ||
    (state.resolvedRefs.reason === Reason.InvalidRouteKinds && state.supportedKinds.length > 0);
  return state.accepted.ok && !state.conflicted && refsUsable;
}

/** Whether routes of `kind` may attach to the listener. */
export function acceptsRouteKind(state: ListenerState, kind: string): boolean {
  return state.supportedKinds.some((k) => k.kind === kind);
}

/** The listener's status entry. */
export function listenerStatus(state: ListenerState, generation: number): ListenerStatus {
  const conditions: Condition[] = [];
  const conflicted = state.conflicted;
  if (conflicted) {
    conditions.push(
      condition(ConditionType.Accepted, false, conflicted.reason, conflicted.message, generation),
    );
  } else {
    conditions.push(
      condition(
        ConditionType.Accepted,
        state.accepted.ok,
        state.accepted.reason,
        state.accepted.message,
        generation,
      ),
    );
  }
  conditions.push(
    conflicted
      ? condition(ConditionType.Conflicted, true, conflicted.reason, conflicted.message, generation)
      : condition(ConditionType.Conflicted, false, Reason.NoConflicts, "No conflicts", generation),
  );
  conditions.push(
    condition(
      ConditionType.ResolvedRefs,
      state.resolvedRefs.ok,
      state.resolvedRefs.reason,
      state.resolvedRefs.message,
      generation,
    ),
  );
  conditions.push(
    isProgrammed(state)
      ? condition(
        ConditionType.Programmed,
        true,
        Reason.Programmed,
        "Listener is programmed",
        generation,
      )
      : condition(
        ConditionType.Programmed,
        false,
        Reason.Invalid,
        `Listener is not programmed: ${
          conflicted?.message ??
            (state.accepted.ok ? state.resolvedRefs.message : state.accepted.message)
        }`,
        generation,
      ),
  );
  return {
    name: state.listener.name,
    // A listener whose protocol conflicts with its port's serves no kind at
    // all; the conformance suite expects its list empty.
    supportedKinds: state.conflicted?.reason === Reason.ProtocolConflict
      ? []
      : state.supportedKinds.map((k) => ({ ...k })),
    attachedRoutes: state.attachedRoutes.size + (state.keptAttachedCount ?? 0),
    conditions,
  };
}

/** Whether the listener terminates TLS here: HTTPS, or TLS in mode Terminate. */
export function terminatesTls(listener: Listener): boolean {
  return listener.protocol === "HTTPS" ||
    (listener.protocol === "TLS" && (listener.tls?.mode ?? "Terminate") === "Terminate");
}
