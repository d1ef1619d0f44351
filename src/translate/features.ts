/**
 * The Gateway API features this gateway implements: the one table behind
 * `GatewayClass.status.supportedFeatures` and the README's feature table
 * (`tests/translate/features.test.ts` keeps the two in agreement). Names are
 * the conformance suite's (`sigs.k8s.io/gateway-api/pkg/features`, v1.6).
 *
 * A feature is published in the status only once it is `claimed`: its
 * upstream conformance test passes. `implemented` features work and have the
 * project's own tests, and wait for the upstream test; the conformance suite
 * reads the status to pick the tests it runs, so claiming one early would
 * turn a missing proof into a failed run.
 * @module
 */

/** `claimed`: the upstream test passes. `implemented`: waiting for it. */
export type FeatureState = "claimed" | "implemented";

/** One row of the feature table. */
export interface GatewayFeature {
  /** The conformance suite's feature name. */
  readonly name: string;
  /** Support level in the GATEWAY-HTTP profile. */
  readonly support: "Core" | "Extended";
  readonly state: FeatureState;
  /** What proves it today. */
  readonly proof: string;
  /**
   * Works only with `--gateway-address-pool` (addresses of its own per
   * Gateway): claimed only when the gateway runs with a pool.
   */
  readonly needsPool: boolean;
}

const E2E = "tests/e2e/";
/** The upstream suite's report, written by `deno task conformance`. */
const UPSTREAM = "conformance/reports/report.yaml:";

/** Every feature implemented, sorted by name. */
export const FEATURES: readonly GatewayFeature[] = Object.freeze([
  row("BackendTLSPolicy", "Core", "claimed", `${E2E}backend_tls.test.ts`),
  row("BackendTLSPolicySANValidation", "Extended", "claimed", `${E2E}backend_tls.test.ts`),
  row("GRPCRoute", "Core", "claimed", `${E2E}grpc.test.ts`),
  row("GRPCRouteNamedRouteRule", "Extended", "claimed", `${E2E}grpc.test.ts`),
  row("Gateway", "Core", "claimed", `${E2E}conformance_statuses.test.ts`),
  row(
    "GatewayAddressEmpty",
    "Extended",
    "claimed",
    `${UPSTREAM} GatewayOptionalAddressValue (with \`--gateway-address-pool\`)`,
    { needsPool: true },
  ),
  row(
    "GatewayBackendClientCertificate",
    "Extended",
    "claimed",
    `${UPSTREAM} GatewayTLSBackendClientCertificate`,
  ),
  row(
    "GatewayFrontendClientCertificateValidation",
    "Extended",
    "claimed",
    `${UPSTREAM} GatewayFrontendClientCertificateValidation`,
  ),
  row(
    "GatewayFrontendClientCertificateValidationInsecureFallback",
    "Extended",
    "claimed",
    `${UPSTREAM} GatewayFrontendClientCertificateValidationInsecureFallback`,
  ),
  row("GatewayHTTPListenerIsolation", "Extended", "claimed", `${E2E}conformance_hostnames.test.ts`),
  row(
    "GatewayHTTPSListenerDetectMisdirectedRequests",
    "Extended",
    "claimed",
    `${E2E}conformance_https.test.ts`,
  ),
  row(
    "GatewayPort8080",
    "Extended",
    "claimed",
    `${UPSTREAM} GatewayWithAttachedRoutesWithPort8080`,
  ),
  row(
    "GatewayStaticAddresses",
    "Extended",
    "claimed",
    `${UPSTREAM} GatewayStaticAddresses (with \`--gateway-address-pool\`)`,
    { needsPool: true },
  ),
  row("HTTPRoute", "Core", "claimed", `${E2E}conformance_matching.test.ts`),
  row(
    "HTTPRoute303RedirectStatusCode",
    "Extended",
    "claimed",
    `${E2E}conformance_redirects.test.ts`,
  ),
  row(
    "HTTPRoute307RedirectStatusCode",
    "Extended",
    "claimed",
    `${E2E}conformance_redirects.test.ts`,
  ),
  row(
    "HTTPRoute308RedirectStatusCode",
    "Extended",
    "claimed",
    `${E2E}conformance_redirects.test.ts`,
  ),
  row(
    "HTTPRouteBackendProtocolH2C",
    "Extended",
    "claimed",
    `${UPSTREAM} HTTPRouteBackendProtocolH2C`,
  ),
  row(
    "HTTPRouteBackendProtocolWebSocket",
    "Extended",
    "claimed",
    `${UPSTREAM} HTTPRouteBackendProtocolWebSocket`,
  ),
  row(
    "HTTPRouteBackendRequestHeaderModification",
    "Extended",
    "claimed",
    `${E2E}conformance_filters.test.ts`,
  ),
  row(
    "HTTPRouteBackendTimeout",
    "Extended",
    "claimed",
    `${UPSTREAM} HTTPRouteTimeoutBackendRequest`,
  ),
  row("HTTPRouteCORS", "Extended", "claimed", `${E2E}conformance_cors.test.ts`),
  row(
    "HTTPRouteDestinationPortMatching",
    "Extended",
    "claimed",
    "tests/e2e/conformance_parents.test.ts",
  ),
  row("HTTPRouteHostRewrite", "Extended", "claimed", `${E2E}conformance_filters.test.ts`),
  row("HTTPRouteMethodMatching", "Extended", "claimed", `${E2E}conformance_matching.test.ts`),
  row(
    "HTTPRouteNamedRouteRule",
    "Extended",
    "claimed",
    "tests/e2e/conformance_parents.test.ts",
  ),
  row("HTTPRouteParentRefPort", "Extended", "claimed", `${E2E}conformance_hostnames.test.ts`),
  row("HTTPRoutePathRedirect", "Extended", "claimed", `${E2E}conformance_redirects.test.ts`),
  row("HTTPRoutePathRewrite", "Extended", "claimed", `${E2E}conformance_filters.test.ts`),
  row("HTTPRoutePortRedirect", "Extended", "claimed", `${E2E}conformance_redirects.test.ts`),
  row("HTTPRouteQueryParamMatching", "Extended", "claimed", `${E2E}conformance_matching.test.ts`),
  row("HTTPRouteRequestMirror", "Extended", "claimed", `${E2E}conformance_mirror.test.ts`),
  row(
    "HTTPRouteRequestMultipleMirrors",
    "Extended",
    "claimed",
    `${E2E}conformance_mirror.test.ts`,
  ),
  row(
    "HTTPRouteRequestPercentageMirror",
    "Extended",
    "claimed",
    "tests/dataplane/request_mirror.test.ts",
  ),
  row("HTTPRouteRequestTimeout", "Extended", "claimed", `${UPSTREAM} HTTPRouteTimeoutRequest`),
  row(
    "HTTPRouteResponseHeaderModification",
    "Extended",
    "claimed",
    `${E2E}conformance_filters.test.ts`,
  ),
  row("HTTPRouteRetry", "Extended", "claimed", `${E2E}conformance_retry.test.ts`),
  row(
    "HTTPRouteRetryBackendTimeout",
    "Extended",
    "implemented",
    "tests/dataplane/retry.test.ts (no upstream test in v1.6)",
  ),
  row(
    "HTTPRouteRetryConnectionError",
    "Extended",
    "implemented",
    "tests/dataplane/retry.test.ts (no upstream test in v1.6)",
  ),
  row("HTTPRouteSchemeRedirect", "Extended", "claimed", `${E2E}conformance_redirects.test.ts`),
  row("ListenerSet", "Extended", "claimed", `${E2E}listener_set.test.ts`),
  row("ReferenceGrant", "Core", "claimed", `${E2E}conformance_backends.test.ts`),
  row("TLSRoute", "Core", "claimed", `${E2E}tls_passthrough.test.ts`),
  row("TLSRouteModeMixed", "Extended", "claimed", `${E2E}tls_mixed.test.ts`),
  row("TLSRouteModeTerminate", "Extended", "claimed", `${E2E}tls_passthrough.test.ts`),
]);

function row(
  name: string,
  support: GatewayFeature["support"],
  state: FeatureState,
  proof: string,
  { needsPool = false }: { needsPool?: boolean } = {},
): GatewayFeature {
  return Object.freeze({ name, support, state, proof, needsPool });
}

/**
 * `GatewayClass.status.supportedFeatures`: the claimed features as the v1.6
 * API has them, objects with a `name`, sorted by name (the API requires it).
 * Features that need an address pool are left out when there is none.
 *
 * @example
 * ```ts
 * import { supportedFeatures } from "./features.ts";
 * supportedFeatures()[0]; // { name: "Gateway" }
 * ```
 */
export function supportedFeatures(
  { addressPool = false }: { addressPool?: boolean } = {},
): { name: string }[] {
  return FEATURES.filter((f) => f.state === "claimed" && (addressPool || !f.needsPool))
    .map((f) => ({ name: f.name }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
