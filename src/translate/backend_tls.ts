/**
 * BackendTLSPolicy → {@linkcode BackendTlsConfig}: which policy applies to a
 * Service port, its CA certificates, and the policy's own conditions.
 *
 * - A policy targets core Services, the whole Service or one port by
 *   `sectionName` (the port's name); a port-specific policy wins over a
 *   Service-wide one.
 * - Two policies with the same target conflict: the oldest (then by name)
 *   wins, the other gets `Accepted: False, Conflicted`.
 * - CA references: a ConfigMap or Secret in the policy's namespace holding a
 *   PEM certificate under `ca.crt`. Any other kind is `InvalidKind`; a missing
 *   object, key or certificate is `InvalidCACertificateRef` (both
 *   `ResolvedRefs: False`). When every reference is invalid the policy is
 *   `Accepted: False, NoValidCACertificate` and connections through it fail.
 * - `wellKnownCACertificates: System` trusts the runtime's well-known roots;
 *   any other value is `Accepted: False, Invalid`.
 * @module
 */
import type { ServicePort } from "../resources/core_types.ts";
import type { Condition } from "../resources/object_meta.ts";
import type { BackendTLSPolicy } from "../resources/policy_types.ts";
import type { BackendTlsConfig } from "../model/config.ts";
import { compareByAgeThenName, type TranslateContext } from "./context.ts";
import { condition, ConditionType, Reason } from "./conditions.ts";
import { objectId } from "./ids.ts";
import { BACKEND_TLS_POLICIES, GATEWAY_CLIENT_CERTIFICATES } from "./dependency_keys.ts";

/** A policy as `translate` judged it. */
export interface EvaluatedPolicy {
  policy: BackendTLSPolicy;
  id: string;
  /** Accepted and ResolvedRefs, without generation (added by the caller). */
  conditions: Condition[];
  /** What the data plane uses; absent when the policy is not applied (conflicted, invalid). */
  tls?: BackendTlsConfig;
}

/** Policies by target, built once per translation. */
interface PolicyIndex {
  /** `ns/service/section` (section `""` for Service-wide) → the winning policy. */
  byTarget: Map<string, EvaluatedPolicy>;
  all: EvaluatedPolicy[];
  /** What evaluating the policies read (CA bundles). */
  reads: ReadonlySet<string>;
}

const CACHE_KEY = "backend-tls-policies";
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every BackendTLSPolicy of the snapshot, evaluated (memoised in `ctx.cache`). */
export function backendTlsPolicies(ctx: TranslateContext): readonly EvaluatedPolicy[] {
  return index(ctx).all;
}

/**
 * The TLS config for a Service port, or `undefined` when no accepted policy
 * targets it.
 */
export function backendTlsFor(
  ctx: TranslateContext,
  namespace: string,
  service: string,
  port: ServicePort,
): BackendTlsConfig | undefined {
  const { byTarget, reads } = index(ctx);
  if (ctx.reads !== undefined) {
    ctx.reads.add(BACKEND_TLS_POLICIES);
    for (const key of reads) ctx.reads.add(key);
  }
  const specific = port.name ? byTarget.get(`${namespace}/${service}/${port.name}`) : undefined;
  const tls = (specific ?? byTarget.get(`${namespace}/${service}/`))?.tls;
  // Such a backend gets the client certificate of a Gateway the route attaches to.
  if (tls !== undefined) ctx.reads?.add(GATEWAY_CLIENT_CERTIFICATES);
  return tls;
}

function index(ctx: TranslateContext): PolicyIndex {
  const cached = ctx.cache.get(CACHE_KEY) as PolicyIndex | undefined;
  if (cached) return cached;
  // Built on first use, perhaps while one route records what it reads: what
  // the policies read is kept apart and handed to every route that asks.
  const outer = ctx.reads;
  const reads = ctx.reads = new Set<string>();
  const policies = [...(ctx.snapshot.backendTLSPolicies ?? [])].sort(compareByAgeThenName);
  const byTarget = new Map<string, EvaluatedPolicy>();
  const all: EvaluatedPolicy[] = [];
  for (const policy of policies) {
    const evaluated = evaluate(ctx, policy);
    all.push(evaluated);
    const namespace = policy.metadata.namespace ?? "default";
    const targets = policy.spec.targetRefs.filter((t) => t.group === "" && t.kind === "Service");
    const keys = targets.map((t) => `${namespace}/${t.name}/${t.sectionName ?? ""}`);
    const taken = keys.find((k) => byTarget.has(k));
    if (taken !== undefined) {
      const winner = byTarget.get(taken)!.policy.metadata.name;
      evaluated.conditions[0] = accepted(
        false,
        "Conflicted",
        `Cannot apply the policy: policy ${winner} already targets ${taken}`,
      );
      delete evaluated.tls;
      continue;
    }
    if (targets.length === 0) {
      evaluated.conditions[0] = accepted(
        false,
        Reason.Invalid,
        "Cannot apply the policy: it targets no core Service",
      );
      delete evaluated.tls;
      continue;
    }
    for (const key of keys) byTarget.set(key, evaluated);
  }
  ctx.reads = outer;
  const built = { byTarget, all, reads };
  ctx.cache.set(CACHE_KEY, built);
  return built;
}

function accepted(ok: boolean, reason: string, message: string): Condition {
  return condition(ConditionType.Accepted, ok, reason, message, 0);
}

function evaluate(ctx: TranslateContext, policy: BackendTLSPolicy): EvaluatedPolicy {
  const namespace = policy.metadata.namespace ?? "default";
  const id = objectId("backendtlspolicy", policy.metadata.name, namespace);
  const v = policy.spec.validation;
  const tls: BackendTlsConfig = { policy: id, serverName: v.hostname };
  if (v.subjectAltNames?.length) {
    tls.subjectAltNames = v.subjectAltNames.map((san) => ({
      type: san.type,
      value: (san.type === "Hostname" ? san.hostname : san.uri) ?? "",
    }));
  }
  const resolved = condition(
    ConditionType.ResolvedRefs,
    true,
    Reason.ResolvedRefs,
    "All CA certificate references are resolved",
    0,
  );
  const ok = accepted(true, Reason.Accepted, "The policy is accepted");
  if (v.wellKnownCACertificates !== undefined) {
    if (v.wellKnownCACertificates !== "System") {
      const message = `Cannot use wellKnownCACertificates ${
        JSON.stringify(v.wellKnownCACertificates)
      }: only "System" is supported`;
      // Not accepted, yet the backend expects TLS: fail rather than send cleartext.
      return {
        policy,
        id,
        conditions: [accepted(false, Reason.Invalid, message), resolved],
        tls: { ...tls, invalid: message },
      };
    }
    return { policy, id, conditions: [ok, resolved], tls };
  }
  const { certificates, errors } = resolveCaRefs(ctx, namespace, v.caCertificateRefs ?? []);
  if (errors.length === 0) {
    return {
      policy,
      id,
      conditions: [ok, resolved],
      tls: { ...tls, caCertificates: certificates },
    };
  }
  const unresolved = condition(
    ConditionType.ResolvedRefs,
    false,
    errors[0].reason,
    errors.map((e) => e.message).join("; "),
    0,
  );
  if (certificates.length === 0) {
    const invalid = { ...tls, invalid: "The BackendTLSPolicy has no valid CA certificate" };
    return {
      policy,
      id,
      conditions: [
        accepted(
          false,
          "NoValidCACertificate",
          "Cannot use the policy: no CA certificate is valid",
        ),
        unresolved,
      ],
      tls: invalid,
    };
  }
  return {
    policy,
    id,
    conditions: [ok, unresolved],
    tls: { ...tls, caCertificates: certificates },
  };
}

/** The PEM certificates of every CA reference, and why the others name none. */
function resolveCaRefs(
  ctx: TranslateContext,
  namespace: string,
  refs: readonly { group: string; kind: string; name: string }[],
): { certificates: string[]; errors: { reason: string; message: string }[] } {
  const certificates: string[] = [];
  const errors: { reason: string; message: string }[] = [];
  for (const ref of refs) {
    const found = caCertificates(ctx, namespace, ref);
    if (typeof found === "string") {
      const reason = ref.group === "" && (ref.kind === "ConfigMap" || ref.kind === "Secret")
        ? "InvalidCACertificateRef"
        : Reason.InvalidKind;
      errors.push({ reason, message: found });
    } else certificates.push(...found);
  }
  return { certificates, errors };
}

/** The PEM certificates a CA reference names, or why there are none. */
function caCertificates(
  ctx: TranslateContext,
  namespace: string,
  ref: { group: string; kind: string; name: string },
): string[] | string {
  let text: string | undefined;
  if (ref.group === "" && ref.kind === "ConfigMap") {
    const map = ctx.configMap(namespace, ref.name);
    if (!map) return `Cannot find ConfigMap ${namespace}/${ref.name}`;
    text = map.data?.["ca.crt"];
  } else if (ref.group === "" && ref.kind === "Secret") {
    const secret = ctx.secret(namespace, ref.name);
    if (!secret) return `Cannot find Secret ${namespace}/${ref.name}`;
    const encoded = secret.data?.["ca.crt"];
    text = encoded === undefined ? undefined : decodeBase64(encoded);
  } else {
    return `Cannot use CA certificate reference of kind ${JSON.stringify(ref.kind)} in group ${
      JSON.stringify(ref.group)
    }: only ConfigMaps and Secrets are supported`;
  }
  if (text === undefined) return `Cannot find key ca.crt in ${ref.kind} ${namespace}/${ref.name}`;
  const pems = text.match(PEM_CERTIFICATE);
  if (!pems) {
    return `Cannot read a PEM certificate from ca.crt of ${ref.kind} ${namespace}/${ref.name}`;
  }
  return pems;
}

function decodeBase64(value: string): string | undefined {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}
