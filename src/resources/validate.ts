/**
 * The single entry point from raw JSON (a YAML document, an API server watch
 * event) to a typed, validated object. It checks the structural shape the
 * CRDs and the API server require (required fields, types, enums, ranges,
 * name and hostname formats, item limits, admission rules) and reports every
 * failure with its field path. Semantic rules that the spec expresses as
 * status conditions (unknown class, unresolved references, regex validity,
 * listener conflicts) are `translate`'s, never a reason to reject here.
 *
 * The output is a fresh object holding only the fields the gateway reads;
 * `metadata.managedFields` and other bulk are dropped, and a Secret's
 * `stringData` is folded into `data`.
 *
 * @example
 * ```ts
 * import { formatValidationError, validateResource } from "./validate.ts";
 * const result = validateResource({
 *   apiVersion: "gateway.networking.k8s.io/v1",
 *   kind: "Gateway",
 *   metadata: { name: "gw", namespace: "default" },
 *   spec: { gatewayClassName: "serval", listeners: [{ name: "web", port: 70000, protocol: "HTTP" }] },
 * });
 * if (!result.ok && !result.ignored) {
 *   result.errors.map(formatValidationError);
 *   // ["spec.listeners[0].port: must be between 1 and 65535, got 70000"]
 * }
 * ```
 * @module
 */
import { GATEWAY_API_KINDS, KNOWN_FIELDS } from "./known_fields.ts";
import { nearestName, unknownFieldErrors } from "./unknown_fields.ts";
import type { KubeObject } from "./object_meta.ts";
import type { GatewayResource, ResourceKind } from "./types.ts";
import { FieldChecker, type StringRule, type ValidationError } from "./validate_fields.ts";
import { readBackendTLSPolicy, readConfigMap } from "./validate_backend_tls_policy.ts";
import { readEndpointSlice } from "./validate_endpoint_slice.ts";
import { readGateway } from "./validate_gateway.ts";
import { readGatewayClass } from "./validate_gateway_class.ts";
import { readHTTPRoute } from "./validate_http_route.ts";
import { readListenerSet } from "./validate_listener_set.ts";
import { readGRPCRoute } from "./validate_grpc_route.ts";
import { readTLSRoute } from "./validate_tls_route.ts";
import { readMetadata } from "./validate_metadata.ts";
import { readReferenceGrant } from "./validate_reference_grant.ts";
import { readSecret } from "./validate_secret.ts";
import { readService } from "./validate_service.ts";
import { DNS_1035_NAME, DNS_LABEL_NAME, DNS_SUBDOMAIN_NAME } from "./validate_rules.ts";

export type { ValidationError } from "./validate_fields.ts";

/**
 * The outcome of {@linkcode validateResource}. Every variant carries `ok`;
 * when `ok` is false, `ignored` separates a kind the gateway does not read
 * (skip it quietly) from an object of a kind it reads that is malformed
 * (report `errors`).
 *
 * - `{ ok: true, value }`: a validated object.
 * - `{ ok: false, ignored: false, errors, kind?, namespace?, name? }`: the
 *   object is malformed; the identity fields are filled in when they could be
 *   read, so a caller can tell which object went bad.
 * - `{ ok: false, ignored: true, kind, apiVersion }`: not a kind the gateway
 *   reads (including same-named kinds of other API groups).
 */
export type ValidationResult =
  | { ok: true; ignored: false; value: GatewayResource }
  | {
    ok: false;
    ignored: false;
    kind?: string;
    namespace?: string;
    name?: string;
    errors: ValidationError[];
  }
  | { ok: false; ignored: true; kind: string; apiVersion: string };

type Reader = (c: FieldChecker, raw: Record<string, unknown>, head: KubeObject) => GatewayResource;

interface KindSpec {
  group: string;
  versions: readonly string[];
  namespaced: boolean;
  name: StringRule;
  read: Reader;
}

const GATEWAY_GROUP = "gateway.networking.k8s.io";

const KINDS: Record<ResourceKind, KindSpec> = {
  GatewayClass: {
    group: GATEWAY_GROUP,
    versions: ["v1", "v1beta1"],
    namespaced: false,
    name: DNS_SUBDOMAIN_NAME,
    read: readGatewayClass,
  },
  Gateway: {
    group: GATEWAY_GROUP,
    versions: ["v1", "v1beta1"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readGateway,
  },
  ListenerSet: {
    group: GATEWAY_GROUP,
    versions: ["v1"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readListenerSet,
  },
  HTTPRoute: {
    group: GATEWAY_GROUP,
    versions: ["v1", "v1beta1"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readHTTPRoute,
  },
  GRPCRoute: {
    group: GATEWAY_GROUP,
    versions: ["v1"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readGRPCRoute,
  },
  TLSRoute: {
    group: GATEWAY_GROUP,
    versions: ["v1", "v1alpha3", "v1alpha2"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readTLSRoute,
  },
  ReferenceGrant: {
    group: GATEWAY_GROUP,
    versions: ["v1beta1", "v1"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readReferenceGrant,
  },
  BackendTLSPolicy: {
    group: GATEWAY_GROUP,
    versions: ["v1", "v1alpha3"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readBackendTLSPolicy,
  },
  Service: {
    group: "",
    versions: ["v1"],
    namespaced: true,
    name: DNS_1035_NAME,
    read: readService,
  },
  EndpointSlice: {
    group: "discovery.k8s.io",
    versions: ["v1"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readEndpointSlice,
  },
  Secret: {
    group: "",
    versions: ["v1"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readSecret,
  },
  ConfigMap: {
    group: "",
    versions: ["v1"],
    namespaced: true,
    name: DNS_SUBDOMAIN_NAME,
    read: readConfigMap,
  },
  Namespace: {
    group: "",
    versions: ["v1"],
    namespaced: false,
    name: DNS_LABEL_NAME,
    read: (_c, _raw, head) => ({ ...head, kind: "Namespace" }),
  },
};

/** Whether objects of `kind` live in a namespace (`false` for GatewayClass and Namespace). */
export function isNamespacedKind(kind: ResourceKind): boolean {
  return KINDS[kind].namespaced;
}

/** Whether `kind` is one the gateway reads (whatever its API group). */
export function isResourceKind(kind: string): kind is ResourceKind {
  return Object.hasOwn(KINDS, kind);
}

/** `field: message`, or the message alone for the object itself. */
export function formatValidationError(error: ValidationError): string {
  return error.field ? `${error.field}: ${error.message}` : error.message;
}

function invalid(errors: ValidationError[], raw?: Record<string, unknown>): ValidationResult {
  const result: ValidationResult = { ok: false, ignored: false, errors };
  if (!raw) return result;
  if (typeof raw.kind === "string") result.kind = raw.kind;
  const meta = raw.metadata;
  if (meta && typeof meta === "object") {
    const { name, namespace } = meta as Record<string, unknown>;
    if (typeof name === "string") result.name = name;
    if (typeof namespace === "string") result.namespace = namespace;
  }
  return result;
}

/** Options of {@linkcode validateResource}. */
export interface ValidateOptions {
  /**
   * Refuse fields and kinds of the Gateway API group that the pinned CRDs do
   * not have (default true: manifests typed by hand). Objects from the API
   * server were checked against its own CRDs, which may be newer: a field
   * unknown here is then a newer field, not a typo, so the kube source
   * passes false.
   */
  strict?: boolean;
}

/**
 * Validates one raw object. Never throws on any input: a user's mistake
 * becomes errors, an unknown kind becomes `ignored`.
 */
export function validateResource(raw: unknown, options: ValidateOptions = {}): ValidationResult {
  const strict = options.strict ?? true;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const what = raw === null ? "null" : Array.isArray(raw) ? "a list" : typeof raw;
    return invalid([{
      field: "",
      message: `must be an object with apiVersion and kind, got ${what}`,
    }]);
  }
  const obj = raw as Record<string, unknown>;
  const c = new FieldChecker();
  const kind = c.string(obj.kind, "kind", { required: true, minLength: 1 });
  const apiVersion = c.string(obj.apiVersion, "apiVersion", { required: true, minLength: 1 });
  if (kind === undefined || apiVersion === undefined || c.failed) return invalid(c.errors, obj);

  const slash = apiVersion.lastIndexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const spec = isResourceKind(kind) ? KINDS[kind] : undefined;
  if (strict && group === GATEWAY_GROUP && !GATEWAY_API_KINDS.includes(kind)) {
    // A misspelt kind of our group would otherwise be skipped without a word.
    const near = nearestName(kind, GATEWAY_API_KINDS);
    c.error(
      "kind",
      `is not a kind of ${GATEWAY_GROUP}, got ${JSON.stringify(kind)}${
        near ? `; did you mean "${near}"?` : ""
      }`,
    );
    return invalid(c.errors, obj);
  }
  // A same-named kind of another group (an Istio `Gateway`, say) is not ours.
  if (!spec || spec.group !== group) return { ok: false, ignored: true, kind, apiVersion };
  if (!spec.versions.includes(version)) {
    c.error(
      "apiVersion",
      `must be one of ${
        spec.versions.map((v) => (group ? `${group}/${v}` : v)).join(", ")
      } for ${kind}; got ${JSON.stringify(apiVersion)}`,
    );
    return invalid(c.errors, obj);
  }

  const known = strict && Object.hasOwn(KNOWN_FIELDS, kind) ? KNOWN_FIELDS[kind] : undefined;
  if (known !== undefined) {
    for (const error of unknownFieldErrors(known, obj)) c.error(error.field, error.message);
  }
  const metadata = readMetadata(c, obj.metadata, spec.name, spec.namespaced);
  const value = spec.read(c, obj, { apiVersion, kind, metadata });
  if (c.failed) return invalid(c.errors, obj);
  return { ok: true, ignored: false, value };
}
