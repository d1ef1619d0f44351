/**
 * `Gateway.spec.tls.frontend`: client-certificate validation on HTTPS
 * listeners, per port (`perPort`) or for every other port (`default`).
 *
 * The references are checked as the spec says: a core ConfigMap (or Secret)
 * holding a PEM certificate under `ca.crt`, in another namespace only with
 * a ReferenceGrant. A missing object or key is `InvalidCACertificateRef`, a
 * foreign kind `InvalidCACertificateKind`, a reference without a grant
 * `RefNotPermitted` (all `ResolvedRefs: False`); with none valid the
 * listener is `Accepted: False, NoValidCACertificate`.
 *
 * The gateway cannot ask clients for certificates yet (Deno's TLS server
 * offers no client authentication), so a listener whose validation is valid
 * is not served at all (`Accepted: False, UnsupportedValue`): serving it
 * without checking clients would pass requests the user meant to refuse.
 * @module
 */
import type { FrontendValidation, Gateway, Listener } from "../resources/gateway_types.ts";
import type { TranslateContext } from "./context.ts";
import { type Outcome, Reason } from "./conditions.ts";
import { isReferenceAllowed } from "./reference_grant.ts";

const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** What frontend validation makes of one HTTPS listener; absent: none applies. */
export interface FrontendOutcome {
  accepted?: Outcome & { ok: false };
  resolvedRefs?: Outcome & { ok: false };
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
  let valid = 0;
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
    if (!isReferenceAllowed(ctx.referenceGrants, from, target)) {
      return fail(
        Reason.RefNotPermitted,
        `Cannot use ${kind} ${namespace}/${ref.name}: no ReferenceGrant in namespace ${namespace} allows Gateways from ${gatewayNamespace}`,
      );
    }
    const text = caText(ctx, kind, namespace, ref.name);
    if (text === undefined || !text.includes("-----BEGIN CERTIFICATE-----")) {
      return fail(
        "InvalidCACertificateRef",
        `Cannot find a PEM certificate under ca.crt of ${kind} ${namespace}/${ref.name}`,
      );
    }
    valid++;
  });
  const outcome: FrontendOutcome = {};
  if (errors.length > 0) {
    outcome.resolvedRefs = {
      ok: false,
      reason: errors[0].reason,
      message: errors.map((e) => e.message).join("; "),
    };
  }
  if (valid === 0) {
    outcome.accepted = {
      ok: false,
      reason: "NoValidCACertificate",
      message:
        `Cannot validate client certificates on listener "${listener.name}": no CA certificate reference is valid`,
    };
  } else {
    const message = `Cannot serve HTTPS listener "${listener.name}" with client certificate ` +
      `validation: this gateway cannot request client certificates yet`;
    ctx.problem(gateway, field, message);
    outcome.accepted = { ok: false, reason: Reason.UnsupportedValue, message };
  }
  return outcome;
}

function caText(
  ctx: TranslateContext,
  kind: string,
  namespace: string,
  name: string,
): string | undefined {
  if (kind === "ConfigMap") {
    return (ctx.snapshot.configMaps ?? []).find((m) =>
      (m.metadata.namespace ?? "default") === namespace && m.metadata.name === name
    )?.data?.["ca.crt"];
  }
  const encoded = ctx.secret(namespace, name)?.data?.["ca.crt"];
  if (encoded === undefined) return undefined;
  try {
    return atob(encoded);
  } catch {
    return undefined;
  }
}
