/**
 * `Gateway.spec.tls.backend.clientCertificateRef`: the certificate a Gateway
 * presents to backends it reaches over TLS (a BackendTLSPolicy), and the
 * Gateway's `ResolvedRefs` condition for it. A bad reference leaves the
 * Gateway Accepted and its backends reached without a client certificate;
 * the condition says why (`InvalidClientCertificateRef`, `RefNotPermitted`).
 * @module
 */
import type { Gateway } from "../resources/gateway_types.ts";
import type { Condition } from "../resources/object_meta.ts";
import type { CertificateConfig } from "../model/config.ts";
import { condition, ConditionType, Reason } from "./conditions.ts";
import type { TranslateContext } from "./context.ts";
import type { CompiledRoute } from "./route_rules.ts";
import { resolveCertificateRef } from "./tls.ts";

/** The client certificate of one Gateway, and its condition. */
export interface GatewayClientCertificate {
  certificate?: CertificateConfig;
  /** `ResolvedRefs`, only for a Gateway that names a client certificate. */
  resolvedRefs?: Condition;
}

/** Resolves `gateway`'s backend client certificate, if it names one. */
export function gatewayClientCertificate(
  ctx: TranslateContext,
  gateway: Gateway,
): GatewayClientCertificate {
  const ref = gateway.spec.tls?.backend?.clientCertificateRef;
  if (ref === undefined) return {};
  const generation = gateway.metadata.generation ?? 0;
  const resolved = resolveCertificateRef(
    ctx,
    gateway,
    ref,
    "spec.tls.backend.clientCertificateRef",
  );
  if (!resolved.ok) {
    const reason = resolved.reason === Reason.RefNotPermitted
      ? Reason.RefNotPermitted
      : "InvalidClientCertificateRef";
    return {
      resolvedRefs: condition(
        ConditionType.ResolvedRefs,
        false,
        reason,
        resolved.message,
        generation,
      ),
    };
  }
  return {
    certificate: resolved.certificate,
    resolvedRefs: condition(
      ConditionType.ResolvedRefs,
      true,
      Reason.ResolvedRefs,
      "The backend client certificate is resolved",
      generation,
    ),
  };
}

/**
 * Gives the TLS backends of `route` the client certificate of a Gateway it
 * attached to. A route attached to several Gateways with different client
 * certificates uses the first one's (routes share one rule config).
 */
export function presentClientCertificate(
  route: CompiledRoute,
  certificate: CertificateConfig | undefined,
): void {
  if (certificate === undefined) return;
  for (const rule of route.rules) {
    const backends = rule.config.backends;
    for (let i = 0; i < backends.length; i++) {
      const tls = backends[i].tls;
      if (tls === undefined || tls.clientCertificate !== undefined) continue;
      backends[i] = {
        ...backends[i],
        tls: {
          ...tls,
          clientCertificate: {
            id: certificate.id,
            certPem: certificate.certPem,
            keyPem: certificate.keyPem,
          },
        },
      };
    }
  }
}
