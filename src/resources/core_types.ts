/**
 * Core and discovery objects the gateway reads: Service, EndpointSlice,
 * Secret, ConfigMap and Namespace.
 *
 * These are the *validated* shapes, with the Gateway API v1 field names
 * exactly: a raw object becomes one only through `validate*` in this folder,
 * so downstream code may rely on required fields being present and typed.
 * Optional fields stay optional where the API defaults them; defaults are
 * applied by `translate`, which documents each.
 * @module
 */

import type { KubeObject } from "./object_meta.ts";

/** A ConfigMap: BackendTLSPolicy CA bundles live under the key `ca.crt`. */
export interface ConfigMap extends KubeObject {
  kind: "ConfigMap";
  data?: Record<string, string>;
}

export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
}

export interface Service extends KubeObject {
  kind: "Service";
  spec: {
    type?: string;
    clusterIP?: string;
    ports?: ServicePort[];
    selector?: Record<string, string>;
    externalName?: string;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  nodeName?: string;
  zone?: string;
}

export interface EndpointSlice extends KubeObject {
  kind: "EndpointSlice";
  /** `IPv4`, `IPv6` or `FQDN`. */
  addressType: string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

export interface Secret extends KubeObject {
  kind: "Secret";
  type?: string;
  /** Base64-encoded values, as the API serves them. */
  data?: Record<string, string>;
  /** Plain values (manifests may use this; the API server folds it into `data`). */
  stringData?: Record<string, string>;
}

export interface Namespace extends KubeObject {
  kind: "Namespace";
}
