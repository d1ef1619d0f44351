/**
 * Gateway API `ReferenceGrant` and `BackendTLSPolicy` shapes.
 *
 * These are the *validated* shapes, with the Gateway API v1 field names
 * exactly: a raw object becomes one only through `validate*` in this folder,
 * so downstream code may rely on required fields being present and typed.
 * Optional fields stay optional where the API defaults them; defaults are
 * applied by `translate`, which documents each.
 * @module
 */

import type { KubeObject } from "./object_meta.ts";

export interface ReferenceGrant extends KubeObject {
  kind: "ReferenceGrant";
  spec: {
    from: { group: string; kind: string; namespace: string }[];
    to: { group: string; kind: string; name?: string }[];
  };
}

/** `spec.validation.subjectAltNames[]` of a BackendTLSPolicy. */
export interface SubjectAltName {
  type: "Hostname" | "URI";
  hostname?: string;
  uri?: string;
}

export interface BackendTLSPolicy extends KubeObject {
  kind: "BackendTLSPolicy";
  spec: {
    targetRefs: { group: string; kind: string; name: string; sectionName?: string }[];
    validation: {
      caCertificateRefs?: { group: string; kind: string; name: string }[];
      wellKnownCACertificates?: string;
      hostname: string;
      subjectAltNames?: SubjectAltName[];
    };
    options?: Record<string, string>;
  };
  status?: { ancestors?: { controllerName: string }[] };
}
