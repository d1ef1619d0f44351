/**
 * backendRefs → {@linkcode BackendConfig}: core Services only, ReferenceGrant
 * checks for other namespaces, Service port → EndpointSlice port by port name,
 * ready endpoints only.
 * @module
 */
import type { Service, ServicePort } from "../resources/core_types.ts";
import type { HTTPBackendRef, HTTPRoute } from "../resources/http_route_types.ts";
import type { TLSBackendRef, TLSRoute } from "../resources/tls_route_types.ts";
import type { BackendConfig } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import { type Outcome, Reason } from "./conditions.ts";
import { backendId } from "./ids.ts";
import { GATEWAY_GROUP } from "./listener.ts";
import { backendTlsFor } from "./backend_tls.ts";
import { slicesKey } from "./dependency_keys.ts";
import { exactList } from "../model/exact_list.ts";

/** The result of {@linkcode resolveBackend}; filters are added by the caller. */
export type BackendResolution =
  | { ok: true; backend: Omit<BackendConfig, "filters"> }
  | ({ ok: false } & Outcome);

/** appProtocol values served over cleartext HTTP/1.1 (`kubernetes.io/ws` upgrades over HTTP/1.1). */
const HTTP_APP_PROTOCOLS = new Set(["http", "HTTP", "kubernetes.io/ws"]);
const H2C_APP_PROTOCOL = "kubernetes.io/h2c";
/**
 * appProtocol values served as HTTP/1.1 over TLS, when a BackendTLSPolicy says
 * how (`kubernetes.io/wss`: WebSocket over TLS, GEP-1911).
 */
const HTTPS_APP_PROTOCOLS = new Set(["https", "HTTPS", "kubernetes.io/wss"]);
/** appProtocol values whose ports pass WebSocket upgrades through (`--upgrades auto`). */
const WEBSOCKET_APP_PROTOCOLS = new Set(["kubernetes.io/ws", "kubernetes.io/wss"]);

/**
 * Resolves one backendRef of `route`. Reasons follow the spec:
 * `InvalidKind` for anything but a core Service, `RefNotPermitted` for another
 * namespace without a grant, `BackendNotFound` for a missing Service or port,
 * `UnsupportedProtocol` for an appProtocol this gateway cannot speak. A
 * TLSRoute's backends get the bytes as they come (`tcp`): their appProtocol
 * and BackendTLSPolicy do not apply to a connection the gateway never decrypts.
 */
export function resolveBackend(
  ctx: TranslateContext,
  route: HTTPRoute | TLSRoute,
  ref: HTTPBackendRef | TLSBackendRef,
): BackendResolution {
  const routeNamespace = route.metadata.namespace ?? "default";
  const namespace = ref.namespace ?? routeNamespace;
  const refused = refusedReference(ctx, route.kind, routeNamespace, ref);
  if (refused !== undefined) return refused;
  if (ref.port === undefined) {
    return {
      ok: false,
      reason: Reason.BackendNotFound,
      message: `Cannot route to Service ${namespace}/${ref.name}: port is required`,
    };
  }
  const service = ctx.service(namespace, ref.name);
  if (!service) {
    return {
      ok: false,
      reason: Reason.BackendNotFound,
      message: `Cannot find Service ${namespace}/${ref.name}`,
    };
  }
  const servicePort = (service.spec.ports ?? []).find((p) => p.port === ref.port);
  if (!servicePort) {
    return {
      ok: false,
      reason: Reason.BackendNotFound,
      message: `Cannot find port ${ref.port} on Service ${namespace}/${ref.name}`,
    };
  }
  if (route.kind === "TLSRoute") {
    return {
      ok: true,
      backend: {
        id: serviceBackendId(ctx, service, servicePort),
        weight: ref.weight ?? 1,
        protocol: "tcp",
        endpoints: readyEndpoints(ctx, service, servicePort),
      },
    };
  }
  const appProtocol = servicePort.appProtocol;
  const tls = backendTlsFor(ctx, namespace, ref.name, servicePort);
  let protocol: "http" | "h2c" = "http";
  if (appProtocol === H2C_APP_PROTOCOL) protocol = "h2c";
  else if (
    appProtocol !== undefined && !HTTP_APP_PROTOCOLS.has(appProtocol) &&
    !(tls !== undefined && HTTPS_APP_PROTOCOLS.has(appProtocol))
  ) {
    return {
      ok: false,
      reason: Reason.UnsupportedProtocol,
      message: `Cannot route to Service ${namespace}/${ref.name} port ${ref.port}: appProtocol ${
        JSON.stringify(appProtocol)
      } is not supported`,
    };
  }
  return {
    ok: true,
    backend: {
      id: serviceBackendId(ctx, service, servicePort),
      weight: ref.weight ?? 1,
      protocol,
      endpoints: readyEndpoints(ctx, service, servicePort),
      ...(appProtocol !== undefined && WEBSOCKET_APP_PROTOCOLS.has(appProtocol)
        ? { websocket: true }
        : {}),
      ...(tls === undefined ? {} : { tls }),
    },
  };
}

/** Why `ref` may not be followed (not a core Service, or no grant); `undefined` if it may. */
function refusedReference(
  ctx: TranslateContext,
  routeKind: string,
  routeNamespace: string,
  ref: HTTPBackendRef | TLSBackendRef,
): BackendResolution | undefined {
  const group = ref.group ?? "";
  const kind = ref.kind ?? "Service";
  const namespace = ref.namespace ?? routeNamespace;
  if (group !== "" || kind !== "Service") {
    return {
      ok: false,
      reason: Reason.InvalidKind,
      message: `Cannot route to kind ${JSON.stringify(kind)} in group ${
        JSON.stringify(group)
      }: only core Services are supported`,
    };
  }
  if (
    !ctx.referenceAllowed(
      { group: GATEWAY_GROUP, kind: routeKind, namespace: routeNamespace },
      { group: "", kind: "Service", namespace, name: ref.name },
    )
  ) {
    return {
      ok: false,
      reason: Reason.RefNotPermitted,
      message:
        `Cannot route to Service ${namespace}/${ref.name}: no ReferenceGrant in namespace ${namespace} allows ${routeKind}s from ${routeNamespace}`,
    };
  }
  return undefined;
}

/**
 * `service/<ns>/<name>:<port>` of a Service port: one string for every route
 * to it, kept with the Service's port object from one translate to the next
 * (each of thousands of routes to one Service kept its own).
 */
function serviceBackendId(ctx: TranslateContext, service: Service, port: ServicePort): string {
  const kept = ctx.lasting?.get(port);
  if (typeof kept === "string") return kept;
  const id = backendId(service.metadata.namespace ?? "default", service.metadata.name, port.port);
  ctx.lasting?.set(port, id);
  return id;
}

/**
 * Ready endpoints of a Service port, from the EndpointSlices owned by the
 * Service. The slice port is found by the Service port's *name* (EndpointSlice
 * ports carry the Service port name and the resolved target port); its number
 * is what is dialed. An endpoint without `conditions.ready` counts as ready,
 * as the EndpointSlice API specifies.
 */
function readyEndpoints(
  ctx: TranslateContext,
  service: Service,
  servicePort: ServicePort,
): { address: string; port: number }[] {
  const portName = servicePort.name ?? "";
  const namespace = service.metadata.namespace ?? "default";
  // Recorded here too: a cached list read the slices for another route.
  ctx.reads?.add(slicesKey(namespace, service.metadata.name));
  const cacheKey = `endpoints|${service.metadata.namespace}|${service.metadata.name}|${portName}`;
  const cached = ctx.cache.get(cacheKey) as { address: string; port: number }[] | undefined;
  if (cached) return cached;
  const seen = new Set<string>();
  const endpoints: { address: string; port: number }[] = [];
  for (
    const slice of ctx.endpointSlices(
      service.metadata.namespace ?? "default",
      service.metadata.name,
    )
  ) {
    const slicePort = (slice.ports ?? []).find((p) => (p.name ?? "") === portName);
    if (slicePort?.port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses) {
        const key = `${address}|${slicePort.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        endpoints.push({ address, port: slicePort.port });
      }
    }
  }
  endpoints.sort((a, b) =>
    a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port
  );
  const kept = exactList(endpoints);
  ctx.cache.set(cacheKey, kept);
  return kept;
}
