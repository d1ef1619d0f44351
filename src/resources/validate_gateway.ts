/**
 * Gateway validation (`gateway.networking.k8s.io` v1 and v1beta1): the CRD's
 * field constraints and its admission rules on listeners (unique names,
 * `tls` only where the protocol allows it). Listener conflicts, which the spec
 * reports as conditions (same port and hostname, or same port with different
 * protocols), and unresolvable certificate references are left to `translate`.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readGateway } from "./validate_gateway.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "gw" } };
 * readGateway(c, { spec: { gatewayClassName: "serval", listeners: [{ name: "http", port: 70000, protocol: "HTTP" }] } }, head);
 * c.errors[0]; // { field: "spec.listeners[0].port", message: "must be between 1 and 65535, got 70000" }
 * ```
 * @module
 */
import type {
  AllowedListeners,
  AllowedRoutes,
  FrontendValidation,
  Gateway,
  GatewayAddress,
  GatewayInfrastructure,
  GatewayTLSConfig,
  Listener,
  RouteGroupKind,
} from "./gateway_types.ts";
import type { KubeObject } from "./object_meta.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { readLabelSelector, readSecretRef } from "./validate_references.ts";
import {
  GROUP,
  HOSTNAME,
  KIND,
  LABEL_KEY,
  PROTOCOL,
  REQUIRED_OBJECT_NAME,
  REQUIRED_PORT,
  SECTION_NAME,
} from "./validate_rules.ts";
import { GATEWAY_STATUS_LISTS, readStatus } from "./validate_status.ts";

const TLS_MODES = ["Terminate", "Passthrough"] as const;
const FROM_NAMESPACES = ["All", "Same", "Selector"] as const;
const LISTENER_FROM = ["All", "Same", "Selector", "None"] as const;
const ADDRESS_TYPE = {
  minLength: 1,
  maxLength: 253,
  pattern:
    /^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$/,
  patternHint: "Hostname, IPAddress, NamedAddress or a domain-prefixed type",
};

function readTls(c: FieldChecker, raw: unknown, field: string): GatewayTLSConfig | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const tls: GatewayTLSConfig = {};
  put(
    tls,
    "mode",
    c.string(o.mode, `${field}.mode`, { oneOf: TLS_MODES }) as GatewayTLSConfig["mode"],
  );
  put(
    tls,
    "certificateRefs",
    c.listOf(
      o.certificateRefs,
      `${field}.certificateRefs`,
      { maxItems: 64 },
      (item, f) => readSecretRef(c, item, f),
    ),
  );
  put(
    tls,
    "options",
    c.stringMap(o.options, `${field}.options`, LABEL_KEY, { maxLength: 4096 }, 16),
  );
  // The CRD defaults `mode` to Terminate, and a terminating listener needs
  // something to terminate with.
  if (
    (tls.mode ?? "Terminate") === "Terminate" &&
    !(tls.certificateRefs?.length) && !(tls.options && Object.keys(tls.options).length)
  ) {
    c.error(field, "must have certificateRefs or options when mode is Terminate");
  }
  return tls;
}

function readAllowedRoutes(
  c: FieldChecker,
  raw: unknown,
  field: string,
): AllowedRoutes | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const allowed: AllowedRoutes = {};
  const n = c.object(o.namespaces, `${field}.namespaces`);
  if (n) {
    const namespaces: NonNullable<AllowedRoutes["namespaces"]> = {};
    put(
      namespaces,
      "from",
      c.string(n.from, `${field}.namespaces.from`, { oneOf: FROM_NAMESPACES }) as
        | "All"
        | "Same"
        | "Selector"
        | undefined,
    );
    put(namespaces, "selector", readLabelSelector(c, n.selector, `${field}.namespaces.selector`));
    allowed.namespaces = namespaces;
  }
  put(
    allowed,
    "kinds",
    c.listOf(o.kinds, `${field}.kinds`, { maxItems: 8 }, (item, f) => {
      const k = c.object(item, f, true);
      if (!k) return undefined;
      const rgk: RouteGroupKind = {
        kind: c.string(k.kind, `${f}.kind`, { ...KIND, required: true }) ?? "",
      };
      put(rgk, "group", c.string(k.group, `${f}.group`, GROUP));
      return rgk;
    }),
  );
  return allowed;
}

/**
 * Reads one listener: a Gateway's `spec.listeners[i]` or a ListenerSet's
 * (`ListenerEntry`, the same fields and admission rules).
 */
export function readListener(c: FieldChecker, raw: unknown, field: string): Listener | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const listener: Listener = {
    name: c.string(o.name, `${field}.name`, { ...SECTION_NAME, required: true }) ?? "",
    port: c.integer(o.port, `${field}.port`, REQUIRED_PORT) ?? 0,
    protocol: c.string(o.protocol, `${field}.protocol`, PROTOCOL) ?? "",
  };
  put(listener, "hostname", c.string(o.hostname, `${field}.hostname`, HOSTNAME));
  put(listener, "tls", readTls(c, o.tls, `${field}.tls`));
  put(listener, "allowedRoutes", readAllowedRoutes(c, o.allowedRoutes, `${field}.allowedRoutes`));

  const p = listener.protocol;
  if (listener.tls && (p === "HTTP" || p === "TCP" || p === "UDP")) {
    c.error(`${field}.tls`, `must not be set for protocol ${p}`);
  }
  if (p === "HTTPS" && listener.tls?.mode === "Passthrough") {
    c.error(`${field}.tls.mode`, "must be Terminate for protocol HTTPS");
  }
  if (p === "TLS" && !listener.tls?.mode) {
    c.error(`${field}.tls.mode`, "is required for protocol TLS");
  }
  if (listener.hostname && (p === "TCP" || p === "UDP")) {
    c.error(`${field}.hostname`, `must not be set for protocol ${p}`);
  }
  return listener;
}

/** `spec.allowedListeners`: `namespaces.from` (All, Same, Selector, None) and its selector. */
function readAllowedListeners(c: FieldChecker, raw: unknown): AllowedListeners | undefined {
  const o = c.object(raw, "spec.allowedListeners");
  if (!o) return undefined;
  const allowed: AllowedListeners = {};
  const field = "spec.allowedListeners.namespaces";
  const n = c.object(o.namespaces, field);
  if (n) {
    const namespaces: NonNullable<AllowedListeners["namespaces"]> = {};
    const from = c.string(n.from, `${field}.from`, { oneOf: LISTENER_FROM });
    put(namespaces, "from", from as (typeof LISTENER_FROM)[number] | undefined);
    put(namespaces, "selector", readLabelSelector(c, n.selector, `${field}.selector`));
    allowed.namespaces = namespaces;
  }
  return allowed;
}

function readAddress(c: FieldChecker, raw: unknown, field: string): GatewayAddress | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const address: GatewayAddress = {
    value: c.string(o.value, `${field}.value`, { maxLength: 253 }) ?? "",
  };
  put(address, "type", c.string(o.type, `${field}.type`, ADDRESS_TYPE));
  if (address.type === "Hostname" && address.value !== "") {
    c.string(address.value, `${field}.value`, HOSTNAME);
  }
  return address;
}

/** `spec.infrastructure`: at most 8 labels and 8 annotations, and a complete parametersRef. */
function readInfrastructure(c: FieldChecker, raw: unknown): GatewayInfrastructure | undefined {
  const f = "spec.infrastructure";
  const o = c.object(raw, f);
  if (!o) return undefined;
  const infrastructure: GatewayInfrastructure = {};
  const value = { maxLength: 4096 };
  put(
    infrastructure,
    "labels",
    c.stringMap(o.labels, `${f}.labels`, LABEL_KEY, { maxLength: 63 }, 8),
  );
  put(
    infrastructure,
    "annotations",
    c.stringMap(o.annotations, `${f}.annotations`, LABEL_KEY, value, 8),
  );
  const p = c.object(o.parametersRef, `${f}.parametersRef`);
  if (p) {
    infrastructure.parametersRef = {
      group: c.string(p.group, `${f}.parametersRef.group`, { ...GROUP, required: true }) ?? "",
      kind: c.string(p.kind, `${f}.parametersRef.kind`, { ...KIND, required: true }) ?? "",
      name: c.string(p.name, `${f}.parametersRef.name`, { ...REQUIRED_OBJECT_NAME }) ?? "",
    };
  }
  return infrastructure;
}

/** `spec.tls`: the backend client certificate and the frontend validation. */
function readGatewayTls(c: FieldChecker, raw: unknown): Gateway["spec"]["tls"] {
  const tls = c.object(raw, "spec.tls");
  if (!tls) return undefined;
  const out: NonNullable<Gateway["spec"]["tls"]> = {};
  const backend = c.object(tls.backend, "spec.tls.backend");
  if (backend?.clientCertificateRef !== undefined) {
    const f = "spec.tls.backend.clientCertificateRef";
    const ref = readSecretRef(c, backend.clientCertificateRef, f);
    if (ref) out.backend = { clientCertificateRef: ref };
  }
  const frontend = c.object(tls.frontend, "spec.tls.frontend");
  if (frontend) {
    const front: NonNullable<typeof out.frontend> = {};
    const def = c.object(frontend.default, "spec.tls.frontend.default");
    if (def) {
      front.default = {};
      put(
        front.default,
        "validation",
        readValidation(c, def.validation, "spec.tls.frontend.default.validation"),
      );
    }
    put(
      front,
      "perPort",
      c.listOf(frontend.perPort, "spec.tls.frontend.perPort", { maxItems: 64 }, (item, f) => {
        const o = c.object(item, f, true);
        if (!o) return undefined;
        const t = c.object(o.tls, `${f}.tls`, true) ?? {};
        const entry = {
          port: c.integer(o.port, `${f}.port`, REQUIRED_PORT) ?? 0,
          tls: {} as { validation?: FrontendValidation },
        };
        put(entry.tls, "validation", readValidation(c, t.validation, `${f}.tls.validation`));
        return entry;
      }),
    );
    out.frontend = front;
  }
  return out;
}

function readValidation(
  c: FieldChecker,
  raw: unknown,
  field: string,
): FrontendValidation | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const validation: FrontendValidation = {
    caCertificateRefs: c.listOf(
      o.caCertificateRefs,
      `${field}.caCertificateRefs`,
      { required: true, minItems: 1, maxItems: 16 },
      (item, f) => readSecretRef(c, item, f),
    ) ?? [],
  };
  put(
    validation,
    "mode",
    c.string(o.mode, `${field}.mode`, { oneOf: ["AllowValidOnly", "AllowInsecureFallback"] }),
  );
  return validation;
}

/**
 * Reads `spec.listeners` of a Gateway or a ListenerSet (1 to 64), each
 * name once: names key the listener statuses, so a repeat could not even
 * be reported.
 */
export function readListeners(c: FieldChecker, raw: unknown): Listener[] {
  const listeners = c.listOf(
    raw,
    "spec.listeners",
    { required: true, minItems: 1, maxItems: 64 },
    (item, f) => readListener(c, item, f),
  ) ?? [];
  c.unique(listeners, "spec.listeners", (l) => l.name || undefined, "listener name");
  return listeners;
}

/** Reads a Gateway whose `apiVersion`, `kind` and `metadata` are already read. */
export function readGateway(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): Gateway {
  const s = c.object(raw.spec, "spec", true) ?? {};
  // Repeated port/protocol/hostname combinations are left to `translate`,
  // which reports them as listener conflicts.
  const listeners = readListeners(c, s.listeners);
  const spec: Gateway["spec"] = {
    gatewayClassName: c.string(s.gatewayClassName, "spec.gatewayClassName", REQUIRED_OBJECT_NAME) ??
      "",
    listeners,
  };
  put(
    spec,
    "addresses",
    c.listOf(s.addresses, "spec.addresses", { maxItems: 16 }, (item, f) => readAddress(c, item, f)),
  );
  put(spec, "infrastructure", readInfrastructure(c, s.infrastructure));
  put(spec, "allowedListeners", readAllowedListeners(c, s.allowedListeners));
  put(spec, "tls", readGatewayTls(c, s.tls));
  const out: Gateway = { ...head, kind: "Gateway", spec };
  const status = readStatus(c, raw.status, GATEWAY_STATUS_LISTS);
  if (status) out.status = status as Gateway["status"];
  return out;
}
