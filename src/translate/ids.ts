/**
 * Stable, path-like ids used in the config, `/config`, logs and metric labels.
 * @module
 */

/** `gateway/<ns>/<name>/listener/<sectionName>`. */
export function listenerId(namespace: string, gateway: string, listener: string): string {
  return `gateway/${namespace}/${gateway}/listener/${listener}`;
}

/** `listenerset/<ns>/<name>/listener/<sectionName>`: a ListenerSet's listener. */
export function listenerSetListenerId(namespace: string, set: string, listener: string): string {
  return `listenerset/${namespace}/${set}/listener/${listener}`;
}

/** `httproute/<ns>/<name>/rule/<i>` (`grpcroute/…`, `tlsroute/…` for other route kinds). */
export function ruleId(
  namespace: string,
  route: string,
  ruleIndex: number,
  kind: "HTTPRoute" | "GRPCRoute" | "TLSRoute" = "HTTPRoute",
): string {
  return `${kind.toLowerCase()}/${namespace}/${route}/rule/${ruleIndex}`;
}

/** `httproute/<ns>/<name>/rule/<i>/match/<j>`. */
export function matchId(
  namespace: string,
  route: string,
  ruleIndex: number,
  matchIndex: number,
  kind: "HTTPRoute" | "GRPCRoute" = "HTTPRoute",
): string {
  return `${ruleId(namespace, route, ruleIndex, kind)}/match/${matchIndex}`;
}

/** `service/<ns>/<name>:<port>`. */
export function backendId(namespace: string, service: string, port: number): string {
  return `service/${namespace}/${service}:${port}`;
}

/** `secret/<ns>/<name>`. */
export function certificateId(namespace: string, secret: string): string {
  return `secret/${namespace}/${secret}`;
}

/** `<kind>/<ns>/<name>` with a lower-case kind, or `<kind>/<name>` for cluster-scoped objects. */
export function objectId(kind: string, name: string, namespace?: string): string {
  const lower = kind.toLowerCase();
  return namespace === undefined ? `${lower}/${name}` : `${lower}/${namespace}/${name}`;
}
