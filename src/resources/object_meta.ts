/**
 * Metadata, the common object shape and `metav1.Condition`, shared by every
 * kind the gateway reads.
 *
 * These are the *validated* shapes, with the Gateway API v1 field names
 * exactly: a raw object becomes one only through `validate*` in this folder,
 * so downstream code may rely on required fields being present and typed.
 * Optional fields stay optional where the API defaults them; defaults are
 * applied by `translate`, which documents each.
 * @module
 */

/** `metadata` of every object. */
export interface ObjectMeta {
  name: string;
  /** Absent for cluster-scoped objects (GatewayClass, Namespace). */
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  /** RFC 3339; used for route precedence ties. */
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Fields common to every object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/** A `metav1.Condition`. `lastTransitionTime` is set by the status writer, never by `translate`. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}
