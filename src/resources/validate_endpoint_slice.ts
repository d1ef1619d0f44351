/**
 * EndpointSlice validation (`discovery.k8s.io/v1`). EndpointSlices are the
 * busiest kind on a watch, so this reads only what `translate` uses and keeps
 * each address check to one precompiled pattern.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readEndpointSlice } from "./validate_endpoint_slice.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "web-1" } };
 * readEndpointSlice(c, { addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.300"] }] }, head);
 * c.errors[0].field; // "endpoints[0].addresses[0]"
 * ```
 * @module
 */
import type { Endpoint, EndpointPort, EndpointSlice } from "./core_types.ts";
import type { KubeObject } from "./object_meta.ts";
import { type FieldChecker, put, type StringRule } from "./validate_fields.ts";
import { PRECISE_HOSTNAME } from "./validate_rules.ts";

const ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"];
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const ADDRESS_RULES: Record<string, StringRule> = {
  IPv4: {
    pattern: new RegExp(`^${OCTET}(\\.${OCTET}){3}$`),
    patternHint: "an IPv4 address",
  },
  // A shape check only: hex groups and colons, optionally ending in a dotted quad.
  IPv6: {
    maxLength: 45,
    pattern: /^(?=.*:)[0-9A-Fa-f:]+(:\d{1,3}(\.\d{1,3}){3})?$/,
    patternHint: "an IPv6 address",
  },
  FQDN: PRECISE_HOSTNAME,
};

function readEndpoint(
  c: FieldChecker,
  raw: unknown,
  field: string,
  addressRule: StringRule | undefined,
): Endpoint | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const endpoint: Endpoint = {
    addresses: c.stringList(
      o.addresses,
      `${field}.addresses`,
      { required: true, minItems: 1, maxItems: 100 },
      addressRule ?? {},
    ) ?? [],
  };
  const cond = c.object(o.conditions, `${field}.conditions`);
  if (cond) {
    const conditions: NonNullable<Endpoint["conditions"]> = {};
    put(conditions, "ready", c.boolean(cond.ready, `${field}.conditions.ready`));
    put(conditions, "serving", c.boolean(cond.serving, `${field}.conditions.serving`));
    put(conditions, "terminating", c.boolean(cond.terminating, `${field}.conditions.terminating`));
    endpoint.conditions = conditions;
  }
  put(endpoint, "hostname", c.string(o.hostname, `${field}.hostname`));
  put(endpoint, "nodeName", c.string(o.nodeName, `${field}.nodeName`));
  put(endpoint, "zone", c.string(o.zone, `${field}.zone`));
  return endpoint;
}

function readPort(c: FieldChecker, raw: unknown, field: string): EndpointPort | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const port: EndpointPort = {};
  put(port, "name", c.string(o.name, `${field}.name`, { maxLength: 63 }));
  put(port, "port", c.integer(o.port, `${field}.port`, { min: 1, max: 65535 }));
  put(port, "protocol", c.string(o.protocol, `${field}.protocol`, { oneOf: PROTOCOLS }));
  put(port, "appProtocol", c.string(o.appProtocol, `${field}.appProtocol`));
  return port;
}

/** Reads an EndpointSlice whose `apiVersion`, `kind` and `metadata` are already read. */
export function readEndpointSlice(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): EndpointSlice {
  const addressType = c.string(raw.addressType, "addressType", {
    required: true,
    oneOf: ADDRESS_TYPES,
  }) ?? "";
  const addressRule = ADDRESS_RULES[addressType];
  const out: EndpointSlice = { ...head, kind: "EndpointSlice", addressType };
  put(
    out,
    "endpoints",
    c.listOf(
      raw.endpoints,
      "endpoints",
      { maxItems: 1000 },
      (item, f) => readEndpoint(c, item, f, addressRule),
    ),
  );
  const ports = c.listOf(raw.ports, "ports", { maxItems: 100 }, (item, f) => readPort(c, item, f));
  c.unique(ports, "ports", (p) => p.name ?? "", "port name");
  put(out, "ports", ports);
  return out;
}
