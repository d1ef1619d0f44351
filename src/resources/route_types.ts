/**
 * Pieces every route kind shares: parent references and their status, and
 * references to backends and local objects.
 *
 * These are the *validated* shapes, with the Gateway API v1 field names
 * exactly: a raw object becomes one only through `validate*` in this folder,
 * so downstream code may rely on required fields being present and typed.
 * Optional fields stay optional where the API defaults them; defaults are
 * applied by `translate`, which documents each.
 * @module
 */

import type { Condition } from "./object_meta.ts";

export interface ParentReference {
  /** Default `gateway.networking.k8s.io`. */
  group?: string;
  /** Default `Gateway`. */
  kind?: string;
  /** Default: the route's namespace. */
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface LocalObjectReference {
  group: string;
  kind: string;
  name: string;
}

export interface BackendObjectReference {
  /** Default core group (`""`). */
  group?: string;
  /** Default `Service`. */
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}
