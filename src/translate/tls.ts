/**
 * HTTPS listener certificates: `tls.certificateRefs` → `kubernetes.io/tls`
 * Secrets → validated {@linkcode CertificateConfig}s.
 * @module
 */
import type { Secret } from "../resources/core_types.ts";
import type { Gateway, Listener, SecretObjectReference } from "../resources/gateway_types.ts";
import type { ListenerSet } from "../resources/listener_set_types.ts";
import {
  certificateValidAt,
  parseCertificatePair,
  type ParsedCertificate,
} from "../resources/certificate.ts";
import type { CertificateConfig } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import { type Outcome, Reason } from "./conditions.ts";
import { certificateId } from "./ids.ts";

/** The result of {@linkcode resolveCertificates}. */
export type CertificateResolution =
  | { ok: true; certificates: CertificateConfig[] }
  | ({ ok: false } & Outcome);

const GATEWAY_GROUP = "gateway.networking.k8s.io";

/**
 * Resolves every certificate reference of an HTTPS `Terminate` listener. One
 * bad reference makes the whole listener unresolved (ResolvedRefs=False), so
 * a listener never serves with a partial certificate set. `RefNotPermitted`
 * wins over `InvalidCertificateRef`, as the spec requires.
 */
export function resolveCertificates(
  ctx: TranslateContext,
  gateway: Gateway | ListenerSet,
  listener: Listener,
  field: string,
): CertificateResolution {
  const refs = listener.tls?.certificateRefs ?? [];
  if (refs.length === 0) {
    const message = `Cannot serve HTTPS listener "${listener.name}": tls.certificateRefs is empty`;
    ctx.problem(gateway, `${field}.tls.certificateRefs`, message);
    return { ok: false, reason: Reason.InvalidCertificateRef, message };
  }
  const certificates: CertificateConfig[] = [];
  let invalid: Outcome | undefined;
  let notPermitted: Outcome | undefined;
  refs.forEach((ref, i) => {
    const resolved = resolveCertificateRef(ctx, gateway, ref, `${field}.tls.certificateRefs[${i}]`);
    if (resolved.ok) certificates.push(resolved.certificate);
    else if (resolved.reason === Reason.RefNotPermitted) notPermitted ??= resolved;
    else invalid ??= resolved;
  });
  const failure = notPermitted ?? invalid;
  if (failure) return { ok: false, ...failure };
  return { ok: true, certificates };
}

/**
 * One certificate reference of `gateway` (a listener's, or the backend client
 * certificate) or of a ListenerSet's listener: a core Secret, allowed by a
 * ReferenceGrant from the referring kind when in another namespace, holding a valid certificate and key. Failures are recorded as
 * problems at `field`.
 */
export function resolveCertificateRef(
  ctx: TranslateContext,
  gateway: Gateway | ListenerSet,
  ref: SecretObjectReference,
  field: string,
): { ok: true; certificate: CertificateConfig } | ({ ok: false } & Outcome) {
  const gatewayNamespace = gateway.metadata.namespace ?? "default";
  const group = ref.group ?? "";
  const kind = ref.kind ?? "Secret";
  const namespace = ref.namespace ?? gatewayNamespace;
  const fail = (message: string, reason: string = Reason.InvalidCertificateRef) => {
    ctx.problem(gateway, field, message);
    return { ok: false as const, reason, message };
  };
  if (group !== "" || kind !== "Secret") {
    return fail(
      `Cannot use certificate reference: kind ${JSON.stringify(kind)} in group ${
        JSON.stringify(group)
      } is not supported, only core Secrets`,
    );
  }
  if (
    !ctx.referenceAllowed(
      { group: GATEWAY_GROUP, kind: gateway.kind, namespace: gatewayNamespace },
      { group: "", kind: "Secret", namespace, name: ref.name },
    )
  ) {
    return fail(
      `Cannot use Secret ${namespace}/${ref.name}: no ReferenceGrant in namespace ${namespace} allows ${gateway.kind}s from ${gatewayNamespace}`,
      Reason.RefNotPermitted,
    );
  }
  const secret = ctx.secret(namespace, ref.name);
  if (!secret) return fail(`Cannot find Secret ${namespace}/${ref.name}`);
  const { pair, parsed } = secretCertificate(ctx, secret);
  if (typeof pair === "string") return fail(`Cannot use Secret ${namespace}/${ref.name}: ${pair}`);
  const checked = certificateValidAt(parsed!, ctx.options.now);
  if (!checked.ok) {
    return fail(`Invalid certificate in Secret ${namespace}/${ref.name}: ${checked.error}`);
  }
  return {
    ok: true,
    certificate: {
      id: certificateId(namespace, ref.name),
      certPem: pair.cert,
      keyPem: pair.key,
      dnsNames: checked.dnsNames,
      notAfter: checked.notAfter,
    },
  };
}

/** A Secret's key pair and what parsing it gave (before the validity period is checked). */
interface SecretCertificate {
  pair: { cert: string; key: string } | string;
  parsed?: ParsedCertificate;
}

const PARSED_KEY = "parsed-certificates";

/**
 * Parsing keys is the costliest step of a translate: done once per Secret
 * object, kept for later translates (`ctx.lasting`) or at least for the
 * other listeners of this one that share the Secret.
 */
function secretCertificate(ctx: TranslateContext, secret: Secret): SecretCertificate {
  let cache = ctx.lasting;
  if (cache === undefined) {
    cache = ctx.cache.get(PARSED_KEY) as WeakMap<object, unknown> | undefined;
    if (cache === undefined) ctx.cache.set(PARSED_KEY, cache = new WeakMap());
  }
  const known = cache.get(secret) as SecretCertificate | undefined;
  if (known !== undefined) return known;
  const pair = readKeyPair(secret);
  const entry: SecretCertificate = typeof pair === "string"
    ? { pair }
    : { pair, parsed: parseCertificatePair(pair.cert, pair.key) };
  cache.set(secret, entry);
  return entry;
}

/** The certificate and key of a TLS Secret, or why they cannot be read. */
function readKeyPair(secret: Secret): { cert: string; key: string } | string {
  if (secret.type !== undefined && secret.type !== "kubernetes.io/tls") {
    return `type is ${JSON.stringify(secret.type)}, expected "kubernetes.io/tls"`;
  }
  const cert = readValue(secret, "tls.crt");
  const key = readValue(secret, "tls.key");
  if (cert === undefined) return "tls.crt is missing or not valid base64";
  if (key === undefined) return "tls.key is missing or not valid base64";
  return { cert, key };
}

function readValue(secret: Secret, name: string): string | undefined {
  const plain = secret.stringData?.[name];
  if (plain !== undefined) return plain;
  const encoded = secret.data?.[name];
  if (encoded === undefined) return undefined;
  try {
    const bytes = Uint8Array.from(atob(encoded.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
