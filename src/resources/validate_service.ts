/**
 * Service validation (core v1), reduced to what the gateway reads: ports and
 * type. Port rules follow the API server: names are required and unique as
 * soon as there are several ports, and `targetPort` is a port number or an
 * IANA service name.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readService } from "./validate_service.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "v1", kind: "Service", metadata: { name: "web" } };
 * readService(c, { spec: { ports: [{ port: 0 }] } }, head);
 * c.errors[0]; // { field: "spec.ports[0].port", message: "must be between 1 and 65535, got 0" }
 * ```
 * @module
 */
import type { Service, ServicePort } from "./core_types.ts";
import type { KubeObject } from "./object_meta.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { LABEL_KEY, LABEL_VALUE, PORT, PRECISE_HOSTNAME, REQUIRED_PORT } from "./validate_rules.ts";
import { readStatus, SERVICE_STATUS_LISTS } from "./validate_status.ts";

const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const PORT_NAME = {
  maxLength: 63,
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  patternHint: "a lower-case RFC 1123 label (letters, digits and '-')",
};
// IANA service names: at most 15 characters, at least one letter, no "--".
const IANA_SERVICE_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function readPort(c: FieldChecker, raw: unknown, field: string): ServicePort | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const port: ServicePort = { port: c.integer(o.port, `${field}.port`, REQUIRED_PORT) ?? 0 };
  put(port, "name", c.string(o.name, `${field}.name`, PORT_NAME));
  put(port, "protocol", c.string(o.protocol, `${field}.protocol`, { oneOf: PROTOCOLS }));
  put(port, "appProtocol", c.string(o.appProtocol, `${field}.appProtocol`));
  const target = o.targetPort;
  if (typeof target === "string") {
    if (target.length > 15 || !IANA_SERVICE_NAME.test(target)) {
      c.error(
        `${field}.targetPort`,
        `must be a port number or an IANA service name (at most 15 lower-case letters, digits and '-'), got ${
          JSON.stringify(target)
        }`,
      );
    }
    port.targetPort = target;
  } else {
    put(port, "targetPort", c.integer(target, `${field}.targetPort`, PORT));
  }
  return port;
}

/** Reads a Service whose `apiVersion`, `kind` and `metadata` are already read. */
export function readService(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): Service {
  const s = c.object(raw.spec, "spec") ?? {};
  const spec: Service["spec"] = {};
  put(spec, "type", c.string(s.type, "spec.type", { oneOf: SERVICE_TYPES }));
  put(spec, "clusterIP", c.string(s.clusterIP, "spec.clusterIP"));
  const ports = c.listOf(s.ports, "spec.ports", {}, (item, f) => readPort(c, item, f));
  if (ports && ports.length > 1) {
    ports.forEach((p, i) => {
      if (p.name === undefined || p.name === "") {
        c.error(`spec.ports[${i}].name`, "is required when the Service has more than one port");
      }
    });
    c.unique(ports, "spec.ports", (p) => p.name || undefined, "port name");
  }
  put(spec, "ports", ports);
  put(spec, "selector", c.stringMap(s.selector, "spec.selector", LABEL_KEY, LABEL_VALUE));
  const externalName = c.string(s.externalName, "spec.externalName");
  if (externalName !== undefined) {
    // The API server accepts a fully qualified name with its trailing dot.
    c.string(externalName.replace(/\.$/, ""), "spec.externalName", PRECISE_HOSTNAME);
    spec.externalName = externalName;
  }
  if (spec.type === "ExternalName" && spec.externalName === undefined) {
    c.error("spec.externalName", "is required when type is ExternalName");
  }
  const out: Service = { ...head, kind: "Service", spec };
  const status = readStatus(c, raw.status, SERVICE_STATUS_LISTS);
  if (status) out.status = status as Service["status"];
  return out;
}
