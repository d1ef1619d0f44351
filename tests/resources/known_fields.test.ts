/**
 * Strict manifests: a misspelt field or kind of the Gateway API group is an
 * error naming the field and the nearest known name, and the known-field
 * trees match the CRDs of the pinned release (from the Go module cache).
 */
import { assert, assertEquals } from "@std/assert";
import { parse } from "yaml";
import { type FieldShape, KNOWN_FIELDS } from "../../src/resources/known_fields.ts";
import { nearestName } from "../../src/resources/unknown_fields.ts";
import { formatValidationError, validateResource } from "../../src/resources/validate.ts";

const route = (rule: Record<string, unknown>, kind = "HTTPRoute") => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind,
  metadata: { name: "r", namespace: "default", labels: { any: "thing" } },
  spec: { parentRefs: [{ name: "gw" }], rules: [rule] },
  status: { parents: [] },
});

function errors(raw: unknown): string[] {
  const result = validateResource(raw);
  return result.ok || result.ignored ? [] : result.errors.map(formatValidationError);
}

Deno.test("matchs is an error that suggests matches, instead of a catch-all rule", () => {
  assertEquals(errors(route({ matchs: [{ path: { value: "/admin" } }] })), [
    'spec.rules[0].matchs: is not a known field; did you mean "matches"?',
  ]);
  assertEquals(
    errors(route({ matches: [{ path: { type: "PathPrefix", valeu: "/a" } }] })),
    ['spec.rules[0].matches[0].path.valeu: is not a known field; did you mean "value"?'],
  );
  const far = errors(route({ zzz: 1 }));
  assert(
    far[0].startsWith("spec.rules[0].zzz: is not a known field (known: name, matches"),
    far[0],
  );
});

Deno.test("objects from the API server are not held to our CRDs' fields (theirs may be newer)", () => {
  const newer = route({ matches: [], someFieldOfALaterRelease: true });
  assertEquals(validateResource(newer, { strict: false }).ok, true);
  assertEquals(validateResource(newer).ok, false);
});

Deno.test("metadata, status, labels and TLS options take any keys", () => {
  assertEquals(errors(route({ matches: [{ path: { type: "PathPrefix", value: "/" } }] })), []);
  const gateway = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "gw", namespace: "default", annotations: { a: "b" }, uid: "x" },
    spec: {
      gatewayClassName: "serval",
      listeners: [{
        name: "https",
        port: 443,
        protocol: "HTTPS",
        tls: { certificateRefs: [{ name: "c" }], options: { "example.com/x": "y" } },
      }],
    },
  };
  assertEquals(errors(gateway), []);
});

Deno.test("a misspelt kind of gateway.networking.k8s.io is an error; other kinds stay ignored", () => {
  assertEquals(errors(route({}, "HttpRoute")), [
    'kind: is not a kind of gateway.networking.k8s.io, got "HttpRoute"; did you mean "HTTPRoute"?',
  ]);
  assertEquals(errors(route({}, "Gatway")).length, 1);
  for (const kind of ["TCPRoute", "UDPRoute"]) {
    assertEquals(validateResource(route({}, kind)).ignored, true, kind);
  }
  const foreign = { ...route({}, "HttpRoute"), apiVersion: "example.com/v1" };
  assertEquals(validateResource(foreign).ignored, true);
  assertEquals(nearestName("Referencegrant", ["ReferenceGrant"]), "ReferenceGrant");
});

/** `.spec.rules[].matches` paths of a CRD's storage-version schema. */
function crdPaths(schema: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (s: Record<string, unknown> | undefined, path: string) => {
    if (!s) return;
    if (s.type === "array") return walk(s.items as Record<string, unknown>, `${path}[]`);
    for (const [key, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
      if (path === "" && (key === "metadata" || key === "status")) continue;
      out.push(`${path}.${key}`);
      walk(sub as Record<string, unknown>, `${path}.${key}`);
    }
  };
  walk(schema, "");
  return out.sort();
}

function knownPaths(shape: FieldShape, path = ""): string[] {
  if (shape === "leaf" || shape === "map") return [];
  if (Array.isArray(shape)) return knownPaths(shape[0], `${path}[]`);
  return Object.entries(shape).flatMap(([key, child]) =>
    path === "" && (key === "metadata" || key === "status")
      ? []
      : [`${path}.${key}`, ...knownPaths(child, `${path}.${key}`)]
  ).sort();
}

/**
 * The experimental CRDs of the release the conformance rig pins (its
 * `go.mod`), from the Go module cache; `undefined` when Go or the module is
 * not there (the test is then skipped: tests never download).
 */
async function crdDir(): Promise<string | undefined> {
  try {
    const goMod = await Deno.readTextFile(new URL("../../conformance/go.mod", import.meta.url));
    const version = /sigs\.k8s\.io\/gateway-api (v[0-9.]+)/.exec(goMod)?.[1];
    const out = await new Deno.Command("go", { args: ["env", "GOMODCACHE"], stderr: "null" })
      .output().catch(() => undefined);
    const home = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME")}/.cache`;
    // The rig's own module cache (scripts/conformance/rig_build.ts), then Go's.
    const caches = [`${home}/serval-conformance/gomod`];
    if (out) caches.push(new TextDecoder().decode(out.stdout).trim());
    for (const cache of caches) {
      const dir = `${cache}/sigs.k8s.io/gateway-api@${version}/config/crd/experimental`;
      if (await Deno.stat(dir).then(() => true, () => false)) return dir;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

const CRDS = await crdDir();

Deno.test({
  name: "the known fields are the experimental CRDs' fields, no more and no fewer",
  ignore: CRDS === undefined,
  async fn() {
    const files: Record<string, string> = {
      GatewayClass: "gatewayclasses",
      Gateway: "gateways",
      HTTPRoute: "httproutes",
      GRPCRoute: "grpcroutes",
      TLSRoute: "tlsroutes",
      ListenerSet: "listenersets",
      ReferenceGrant: "referencegrants",
      BackendTLSPolicy: "backendtlspolicies",
    };
    for (const [kind, file] of Object.entries(files)) {
      const crd = parse(
        await Deno.readTextFile(`${CRDS}/gateway.networking.k8s.io_${file}.yaml`),
      ) as { spec: { versions: { storage: boolean; schema: { openAPIV3Schema: never } }[] } };
      const storage = crd.spec.versions.find((v) => v.storage)!;
      assertEquals(knownPaths(KNOWN_FIELDS[kind]), crdPaths(storage.schema.openAPIV3Schema), kind);
    }
  },
});
