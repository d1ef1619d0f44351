/**
 * Filters of extended features that need more than their own fields: the
 * `CORS` filter gets the spec's defaults, and a `RequestMirror` filter's
 * backendRef is resolved like any backendRef (a mirror that cannot be
 * resolved sets `ResolvedRefs` False and is left out; the rule keeps serving).
 * @module
 */
import type { HTTPCORSFilter, HTTPRoute, HTTPRouteFilter } from "../resources/http_route_types.ts";
import type { CorsConfig, MirrorConfig } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import type { Outcome } from "./conditions.ts";
import { resolveBackend } from "./backend.ts";

/** `Access-Control-Max-Age` when `maxAge` is unset (the CRD's default). */
export const DEFAULT_CORS_MAX_AGE = 5;

/** An `HTTPCORSFilter` with defaults: empty lists, no credentials, max age 5 s. */
export function compileCors(cors: HTTPCORSFilter): CorsConfig {
  return {
    type: "CORS",
    allowOrigins: (cors.allowOrigins ?? []).map((o) => o.toLowerCase()),
    allowCredentials: cors.allowCredentials === true,
    allowMethods: [...(cors.allowMethods ?? [])],
    allowHeaders: (cors.allowHeaders ?? []).map((h) => h.toLowerCase()),
    exposeHeaders: [...(cors.exposeHeaders ?? [])],
    maxAge: cors.maxAge ?? DEFAULT_CORS_MAX_AGE,
  };
}

/** A mirror filter before its backend is resolved, as `compileFilters` found it. */
export interface PendingMirror {
  filter: NonNullable<HTTPRouteFilter["requestMirror"]>;
  field: string;
}

/** The outcome of resolving one mirror. */
export type MirrorResolution =
  | { ok: true; mirror: MirrorConfig }
  | ({ ok: false; field: string; message: string } & Outcome);

/** Resolves a mirror's backendRef and its share of requests. */
export function resolveMirror(
  ctx: TranslateContext,
  route: HTTPRoute,
  pending: PendingMirror,
): MirrorResolution {
  const resolution = resolveBackend(ctx, route, { ...pending.filter.backendRef, weight: 1 });
  if (!resolution.ok) {
    return { ...resolution, field: `${pending.field}.requestMirror.backendRef` };
  }
  const { percent, fraction } = pending.filter;
  return {
    ok: true,
    mirror: {
      type: "RequestMirror",
      backend: { ...resolution.backend, filters: [] },
      fraction: fraction !== undefined
        ? { numerator: fraction.numerator, denominator: fraction.denominator ?? 100 }
        : { numerator: percent ?? 100, denominator: 100 },
    },
  };
}
