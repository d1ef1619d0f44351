/**
 * Generated manifests for `validator_check.ts`: valid objects of each kind
 * the gateway reads, every field of them misspelt in turn, values the CRDs
 * refuse (patterns, ranges, enums, CEL rules) and misspelt kinds.
 * @module
 */

/** One manifest to send, named for the report. */
export interface ValidatorCase {
  name: string;
  object: Record<string, unknown>;
}

const GROUP = "gateway.networking.k8s.io/v1";
const meta = (name: string) => ({ name, namespace: "default" });

const GATEWAY_CLASS = {
  apiVersion: GROUP,
  kind: "GatewayClass",
  metadata: { name: "check" },
  spec: { controllerName: "gateway.serval.dev/controller", description: "check" },
};

const GATEWAY = {
  apiVersion: GROUP,
  kind: "Gateway",
  metadata: meta("gw"),
  spec: {
    gatewayClassName: "check",
    listeners: [
      {
        name: "http",
        port: 80,
        protocol: "HTTP",
        hostname: "*.example.com",
        allowedRoutes: { namespaces: { from: "Same" }, kinds: [{ kind: "HTTPRoute" }] },
      },
      {
        name: "https",
        port: 443,
        protocol: "HTTPS",
        tls: { mode: "Terminate", certificateRefs: [{ name: "cert" }] },
      },
    ],
  },
};

const HTTP_ROUTE = {
  apiVersion: GROUP,
  kind: "HTTPRoute",
  metadata: meta("route"),
  spec: {
    parentRefs: [{ name: "gw", sectionName: "http" }],
    hostnames: ["a.example.com"],
    rules: [
      {
        matches: [{
          path: { type: "PathPrefix", value: "/api" },
          headers: [{ name: "x-version", value: "2" }],
          queryParams: [{ type: "Exact", name: "q", value: "1" }],
          method: "GET",
        }],
        filters: [{
          type: "RequestHeaderModifier",
          requestHeaderModifier: { set: [{ name: "x-a", value: "1" }], remove: ["x-b"] },
        }],
        backendRefs: [{ name: "svc", port: 8080, weight: 3 }],
        timeouts: { request: "10s", backendRequest: "5s" },
      },
      {
        matches: [{ path: { type: "Exact", value: "/old" } }],
        filters: [{
          type: "RequestRedirect",
          requestRedirect: {
            scheme: "https",
            statusCode: 301,
            path: { type: "ReplaceFullPath", replaceFullPath: "/new" },
          },
        }],
      },
      {
        matches: [{ path: { type: "PathPrefix", value: "/strip" } }],
        filters: [{
          type: "URLRewrite",
          urlRewrite: {
            hostname: "b.example.com",
            path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" },
          },
        }],
        backendRefs: [{ name: "svc", port: 8080 }],
      },
    ],
  },
};

const REFERENCE_GRANT = {
  apiVersion: "gateway.networking.k8s.io/v1beta1",
  kind: "ReferenceGrant",
  metadata: meta("grant"),
  spec: {
    from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "other" }],
    to: [{ group: "", kind: "Service", name: "svc" }],
  },
};

const BASES = [GATEWAY_CLASS, GATEWAY, HTTP_ROUTE, REFERENCE_GRANT];

/** A deep copy of `base` with `edit` applied to it. */
function variant<T>(base: T, edit: (copy: T) => void): T {
  const copy = structuredClone(base);
  edit(copy);
  return copy;
}

type Json = Record<string, unknown>;

/** Every object key path below `spec`, as a list of keys and indexes. */
function keyPaths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, [...at, i]));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [[...at, k], ...keyPaths(v, [...at, k])]);
}

/** Renames the key at `path` to a misspelling of it. */
function misspell(object: Json, path: (string | number)[]): void {
  let parent: Json = object;
  for (const step of path.slice(0, -1)) parent = (parent as never)[step];
  const key = path.at(-1) as string;
  parent[`${key}s`] = parent[key];
  delete parent[key];
}

function fieldCases(): ValidatorCase[] {
  return BASES.flatMap((base) =>
    keyPaths(base.spec).map((path) => ({
      name: `${base.kind} spec.${path.join(".")} misspelt`,
      object: variant(base as Json, (o) => misspell(o.spec as Json, path)),
    }))
  );
}

/** `base` with the value at `path` (`spec.rules.0.method`) set, or removed when `undefined`. */
function set(base: Json, path: string, value: unknown): Json {
  return variant(base, (copy) => {
    const steps = path.split(".");
    let parent = copy as Record<string, unknown>;
    for (const step of steps.slice(0, -1)) parent = parent[step] as Record<string, unknown>;
    if (value === undefined) delete parent[steps.at(-1)!];
    else parent[steps.at(-1)!] = value;
  });
}

const gw = (path: string, value: unknown) => set(GATEWAY, path, value);
const rt = (path: string, value: unknown) => set(HTTP_ROUTE, path, value);
const L0 = "spec.listeners.0";
const R0 = "spec.rules.0";

const VALUE_CASES: ValidatorCase[] = [
  ...BASES.map((b) => ({ name: `${b.kind} as given`, object: b as Json })),
  { name: "listener port 0", object: gw(`${L0}.port`, 0) },
  { name: "listener port 70000", object: gw(`${L0}.port`, 70000) },
  { name: "listener name with capitals", object: gw(`${L0}.name`, "Web") },
  { name: "listener protocol FOO", object: gw(`${L0}.protocol`, "FOO") },
  { name: "listener hostname *.*.x", object: gw(`${L0}.hostname`, "*.*.x") },
  { name: "listener hostname an IP", object: gw(`${L0}.hostname`, "10.0.0.1") },
  { name: "two listeners one name", object: gw("spec.listeners.1.name", "http") },
  { name: "HTTPS listener without tls", object: gw("spec.listeners.1.tls", undefined) },
  { name: "no gatewayClassName", object: gw("spec.gatewayClassName", undefined) },
  { name: "allowedRoutes from Elsewhere", object: gw(`${L0}.allowedRoutes.namespaces.from`, "X") },
  {
    name: "controllerName without a path",
    object: set(GATEWAY_CLASS, "spec.controllerName", "serval"),
  },
  { name: "path type Prefix", object: rt(`${R0}.matches.0.path.type`, "Prefix") },
  { name: "path value without a slash", object: rt(`${R0}.matches.0.path.value`, "api") },
  { name: "header match name with a space", object: rt(`${R0}.matches.0.headers.0.name`, "x y") },
  { name: "method FETCH", object: rt(`${R0}.matches.0.method`, "FETCH") },
  { name: "weight -1", object: rt(`${R0}.backendRefs.0.weight`, -1) },
  { name: "weight 1000001", object: rt(`${R0}.backendRefs.0.weight`, 1000001) },
  { name: "backendRef without port", object: rt(`${R0}.backendRefs.0.port`, undefined) },
  { name: "timeout 1d", object: rt(`${R0}.timeouts.request`, "1d") },
  { name: "backendRequest above request", object: rt(`${R0}.timeouts.backendRequest`, "20s") },
  { name: "hostname with capitals", object: rt("spec.hostnames.0", "A.example.com") },
  {
    name: "redirect status 303",
    object: rt("spec.rules.1.filters.0.requestRedirect.statusCode", 303),
  },
  {
    name: "redirect and rewrite together",
    object: rt("spec.rules.1.filters.1", HTTP_ROUTE.spec.rules[2].filters[0]),
  },
  {
    name: "ReplacePrefixMatch under an Exact match",
    object: rt("spec.rules.2.matches.0.path.type", "Exact"),
  },
  {
    name: "filter type without its field",
    object: rt(`${R0}.filters.0.requestHeaderModifier`, undefined),
  },
  {
    name: "17 rules",
    object: rt("spec.rules", Array.from({ length: 17 }, () => HTTP_ROUTE.spec.rules[2])),
  },
  { name: "no rules", object: rt("spec.rules", undefined) },
  { name: "parentRef sectionName with capitals", object: rt("spec.parentRefs.0.sectionName", "H") },
  { name: "ReferenceGrant to kind empty", object: set(REFERENCE_GRANT, "spec.to.0.kind", "") },
  { name: "kind HttpRoute", object: rt("kind", "HttpRoute") },
  { name: "kind Gatway", object: gw("kind", "Gatway") },
];

/** Every case, in a stable order. */
export const CASES: readonly ValidatorCase[] = [...VALUE_CASES, ...fieldCases()];
