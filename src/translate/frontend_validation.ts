/**
 * `Gateway.spec.tls.frontend`: client-certificate validation on HTTPS
 * listeners, per port (`perPort`) or for every other port (`default`).
 *
 * The references are checked as the spec says: a core ConfigMap (or Secret)
 * holding PEM certificates under `ca.crt`, in another namespace only with a
 * ReferenceGrant. A missing object or key, or a `ca.crt` without one
 * parseable certificate, is `InvalidCACertificateRef`; a foreign kind
 * `InvalidCACertificateKind`; a reference without a grant `RefNotPermitted`
 * (all `ResolvedRefs: False`). With none valid the listener is `Accepted:
 * False, NoValidCACertificate` and not served; with some valid it is served
 * with those (fewer trusted CAs can only refuse more clients).
 *
 * A Gateway whose default or per-port validation is `AllowInsecureFallback`
 * gets the condition `InsecureFrontendValidationMode: True`
 * (`ConfigurationChanged`), as the spec asks.
 * @module
 */
import { X509Certificate } from "node:crypto";
import type { FrontendValidation, Gateway, Listener } from "../resources/gateway_types.ts";
import type { Condition } from "../resources/object_meta.ts";
import type { ClientValidationConfig } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import { condition, type Outcome, Reason } from "./conditions.ts";

const GATEWAY_GROUP = "gateway.networking.k8s.io";
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** What frontend validation makes of one HTTPS listener; absent: none applies. */
export interface FrontendOutcome {
  /** Set when no reference is valid: the listener is not served. */
  accepted?: Outcome & { ok: false };
  /** Set when some reference is invalid. */
  resolvedRefs?: Outcome & { ok: false };
  /** What the data plane enforces; absent when no reference is valid. */
  config?: ClientValidationConfig;
}

/** The validation that applies to `listener`: its port's, else the default. */
export function frontendValidationFor(
  gateway: Gateway,
  listener: Listener,
): { validation: FrontendValidation; field: string } | undefined {
  const frontend = gateway.spec.tls?.frontend;
  if (frontend === undefined) return undefined;
  const at = (frontend.perPort ?? []).findIndex((p) => p.port === listener.port);
  if (at !== -1) {
    const validation = frontend.perPort![at].tls.validation;
    const field = `spec.tls.frontend.perPort[${at}].tls.validation`;
    return validation === undefined ? undefined : { validation, field };
  }
  const validation = frontend.default?.validation;
  return validation === undefined
    ? undefined
    : { validation, field: "spec.tls.frontend.default.validation" };
}

/** Evaluates the frontend validation of an HTTPS listener. */
export function evaluateFrontendValidation(
  ctx: TranslateContext,
  gateway: Gateway,
  listener: Listener,
): FrontendOutcome | undefined {
  const found = frontendValidationFor(gateway, listener);
  if (found === undefined) return undefined;
  const { validation, field } = found;
  const gatewayNamespace = gateway.metadata.namespace ?? "default";
  const errors: Outcome[] = [];
  const caRefs: string[] = [];
  const caCertificates: string[] = [];
  validation.caCertificateRefs.forEach((ref, i) => {
    const group = ref.group ?? "";
    const kind = ref.kind ?? "ConfigMap";
    const namespace = ref.namespace ?? gatewayNamespace;
    const fail = (reason: string, message: string) => {
      ctx.problem(gateway, `${field}.caCertificateRefs[${i}]`, message);
      errors.push({ reason, message });
    };
    if (group !== "" || (kind !== "ConfigMap" && kind !== "Secret")) {
      return fail(
        "InvalidCACertificateKind",
        `Cannot use CA certificate reference of kind ${JSON.stringify(kind)} in group ${
          JSON.stringify(group)
        }: only ConfigMaps and Secrets are supported`,
      );
    }
    const target = { group: "", kind, namespace, name: ref.name };
    const from = { group: GATEWAY_GROUP, kind: "Gateway", namespace: gatewayNamespace };
    if (!ctx.referenceAllowed(from, target)) {
      return fail(
        Reason.RefNotPermitted,
        `Cannot use ${kind} ${namespace}/${ref.name}: no ReferenceGrant in namespace ${namespace} allows Gateways from ${gatewayNamespace}`,
      );
    }
    const certificates = parseCertificates(caText(ctx, kind, namespace, ref.name));
    if (certificates.length === 0) {
      return fail(
        "InvalidCACertificateRef",
        `Cannot find a PEM certificate under ca.crt of ${kind} ${namespace}/${ref.name}`,
      );
    }
    caRefs.push(`${kind.toLowerCase()}/${namespace}/${ref.name}`);
    for (const pem of certificates) if (!caCertificates.includes(pem)) caCertificates.push(pem);
  });
  const outcome: FrontendOutcome = {};
  if (errors.length > 0) {
    outcome.resolvedRefs = {
      ok: false,
      reason: errors[0].reason,
      message: errors.map((e) => e.message).join("; "),
    };
  }
  if (caRefs.length === 0) {
    outcome.accepted = {
      ok: false,
      reason: "NoValidCACertificate",
      message:
        `Cannot validate client certificates on listener "${listener.name}": no CA certificate reference is valid`,
    };
  } else {
    // Validation accepts only the two modes, so anything else is the default.
    const mode = validation.mode === "AllowInsecureFallback" ? validation.mode : "AllowValidOnly";
    outcome.config = { mode, caRefs, caCertificates };
  }
  return outcome;
}

/**
 * `InsecureFrontendValidationMode: True` for a Gateway that lets clients
 * through without a valid certificate anywhere; absent otherwise (the spec
 * removes the condition once the mode is back to `AllowValidOnly`).
 */
export function insecureFrontendCondition(gateway: Gateway): Condition | undefined {
  const frontend = gateway.spec.tls?.frontend;
  if (frontend === undefined) return undefined;
  const where: string[] = [];
  if (frontend.default?.validation?.mode === "AllowInsecureFallback") where.push("default");
  for (const entry of frontend.perPort ?? []) {
    if (entry.tls.validation?.mode === "AllowInsecureFallback") where.push(`port ${entry.port}`);
  }
  if (where.length === 0) return undefined;
  return condition(
    "InsecureFrontendValidationMode",
    true,
    "ConfigurationChanged",
    `Client certificate validation is AllowInsecureFallback (${
      where.join(", ")
    }): clients without a valid certificate are served`,
    gateway.metadata.generation ?? 0,
  );
}

/** The PEM certificates of a bundle that parse as X.509, in bundle order. */
function parseCertificates(text: string | undefined): string[] {
  const out: string[] = [];
  for (const pem of text?.match(PEM_CERTIFICATE) ?? []) {
    try {
      new X509Certificate(pem);
      out.push(pem);
    } catch {
      // Not a certificate: left out; a bundle left empty is an invalid reference.
    }
  }
  return out;
}

function caText(
  ctx: TranslateContext,
  kind: string,
  namespace: string,
  name: string,
): string | undefined {
  if (kind === "ConfigMap") {
    return ctx.configMap(namespace, name)?.data?.["ca.crt"];
  }
  const encoded = ctx.secret(namespace, name)?.data?.["ca.crt"];
  if (encoded === undefined) return undefined;
  try {
    return atob(encoded);
  } catch {
    return undefined;
  }
}
