/**
 * The RBAC in `deploy/rbac.yaml` against the code. Statically: the
 * ClusterRole grants get/list/watch on exactly the kube source's
 * `WATCHED_KINDS` and get/patch on the status of exactly the kinds
 * `translate` reports status for, and nothing else. Dynamically: the real
 * process, with the binary's permissions, runs against the fake API server
 * (leader election on, a status write conflict injected), and every request
 * it makes is one the RBAC allows, every status grant is one it uses, and the
 * Lease it uses is the one the Role names.
 */
import { assert, assertEquals } from "@std/assert";
import { dirname } from "node:path";
import { WATCHED_KINDS } from "../../src/kube/kinds.ts";
import { STATUS_KINDS } from "../../src/status/status_kinds.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { type RecordedRequest, startFakeKube } from "../fake_kube/fake_kube_server.ts";
import {
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  namespace,
  service,
  waitFor,
} from "../fake_kube/fake_kube_fixtures.ts";
import { deployObject, type Obj } from "./_deploy.ts";
import { narrowDenoCommand, startShipped } from "./_shipped_process.ts";

const NAMESPACE = deployObject("Namespace").metadata.name as string;

/** One grant: `group|resource[/subresource]|verb`, with `@name` when limited to one object. */
function grants(rules: Obj[]): string[] {
  const out: string[] = [];
  for (const rule of rules) {
    assertEquals(rule.nonResourceURLs, undefined);
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        for (const verb of rule.verbs) {
          for (const name of rule.resourceNames ?? [undefined]) {
            assert(![group, resource, verb, name].includes("*"), "wildcard grant");
            out.push(`${group}|${resource}|${verb}${name ? `@${name}` : ""}`);
          }
        }
      }
    }
  }
  return out.sort();
}

function kindOf(kind: string) {
  const found = WATCHED_KINDS.find((k) => k.kind === kind);
  assert(found, `${kind} is written but not watched`);
  return found;
}

Deno.test("the ClusterRole grants read on exactly the watched kinds and status on exactly the written ones", () => {
  const expected = [
    ...WATCHED_KINDS.flatMap((k) =>
      ["get", "list", "watch"].map((v) => `${k.group}|${k.resource}|${v}`)
    ),
    ...STATUS_KINDS.flatMap((kind) =>
      ["get", "patch"].map((v) => `${kindOf(kind).group}|${kindOf(kind).resource}/status|${v}`)
    ),
  ].sort();
  assertEquals(grants(deployObject("ClusterRole").rules), expected);
});

Deno.test("the leader-election Role is in the gateway's namespace and grants only Lease access", () => {
  const role = deployObject("Role");
  assertEquals(role.metadata.namespace, NAMESPACE);
  for (const grant of grants(role.rules)) {
    assert(/^coordination\.k8s\.io\|leases\|(create|get@|update@)/.test(grant), grant);
  }
  assertEquals(deployObject("RoleBinding").roleRef.name, role.metadata.name);
  assertEquals(
    deployObject("ClusterRoleBinding").roleRef.name,
    deployObject("ClusterRole").metadata.name,
  );
});

/** What RBAC sees in a request. */
interface RbacRequest {
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
  name?: string;
}

function rbacRequest(r: RecordedRequest): RbacRequest {
  const parts = r.path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  const [group, rest] = parts[0] === "api" ? ["", parts.slice(2)] : [parts[1], parts.slice(3)];
  const namespaced = rest[0] === "namespaces" && rest.length >= 3;
  const [namespace, resource, name, sub] = namespaced
    ? [rest[1], rest[2], rest[3], rest[4]]
    : [undefined, rest[0], rest[1], rest[2]];
  const verbs: Record<string, string> = {
    POST: "create",
    PUT: "update",
    PATCH: "patch",
    DELETE: "delete",
  };
  const verb = r.method === "GET"
    ? (name ? "get" : r.query.watch === "true" || r.query.watch === "1" ? "watch" : "list")
    : verbs[r.method];
  return { group, resource: sub ? `${resource}/${sub}` : resource, verb, namespace, name };
}

function allowedBy(grantList: string[], req: RbacRequest): boolean {
  const base = `${req.group}|${req.resource}|${req.verb}`;
  return grantList.includes(base) ||
    (req.name !== undefined && grantList.includes(`${base}@${req.name}`));
}

Deno.test("the real process, with the binary's permissions, makes only requests the RBAC allows", async () => {
  await using kube = await startFakeKube();
  const port = freePort();
  kube.apply(namespace("default"));
  kube.apply(namespace(NAMESPACE));
  kube.apply(gatewayClass());
  kube.apply(gateway("gw", port));
  kube.apply(service("backend"));
  kube.apply(endpointSlice("backend", ["127.0.0.1"], freePort()));
  kube.apply(httpRoute("route", { prefix: "/", backend: "backend" }));
  kube.apply({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GRPCRoute",
    metadata: { name: "rpc", namespace: "default", generation: 1 },
    spec: {
      parentRefs: [{ name: "gw" }],
      hostnames: ["grpc.example.com"],
      rules: [{ backendRefs: [{ name: "backend", port: 80 }] }],
    },
  });
  kube.apply({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "BackendTLSPolicy",
    metadata: { name: "backend-tls", namespace: "default", generation: 1 },
    spec: {
      targetRefs: [{ group: "", kind: "Service", name: "backend" }],
      validation: { hostname: "backend.example.com", wellKnownCACertificates: "System" },
    },
  });
  kube.apply({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "TLSRoute",
    metadata: { name: "tls-route", namespace: "default", generation: 1 },
    spec: {
      parentRefs: [{ name: "gw" }],
      hostnames: ["db.example.com"],
      rules: [{ backendRefs: [{ name: "backend", port: 80 }] }],
    },
  });
  // Its Gateway admits no ListenerSets: the set still gets a status saying so.
  kube.apply({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "ListenerSet",
    metadata: { name: "extra", namespace: "default", generation: 1 },
    spec: {
      parentRef: { name: "gw" },
      listeners: [{ name: "extra", port: freePort(), protocol: "HTTP" }],
    },
  });
  // A conflict on the first status write of each kind makes the writer re-read that status.
  for (const kind of STATUS_KINDS) {
    kube.failNext({ status: 409, method: "PATCH", pathIncludes: `/${kindOf(kind).resource}/` });
  }
  const dir = await Deno.makeTempDir({ prefix: "serval-rbac-" });
  try {
    const kubeconfig = await kube.writeKubeconfig(`${dir}/kubeconfig`);
    await using gw = await startShipped({
      command: narrowDenoCommand([dir, dirname(kube.pki.caFile)]),
      // In a pod the Lease namespace defaults to the ServiceAccount's, the Deployment's own;
      // outside one it must be given.
      args: [
        "--source",
        "kube",
        "--kubeconfig",
        kubeconfig,
        "--leader-elect",
        "--leader-election-namespace",
        NAMESPACE,
        "--drain-delay",
        "0s",
      ],
      env: { POD_NAME: "serval-rbac-test" },
    });
    const patched = (resource: string) =>
      kube.requests.some((r) =>
        r.method === "PATCH" && r.status === 200 && r.path.includes(`/${resource}/`)
      );
    await waitFor(
      "status written for every kind",
      () => STATUS_KINDS.every((k) => patched(kindOf(k).resource)),
    ).catch((error) => {
      throw new Error(`${error.message}; log:\n${gw.logs()}`);
    });
    assertEquals((await gw.stop()).code, 0, gw.logs());

    const cluster = grants(deployObject("ClusterRole").rules);
    const role = grants(deployObject("Role").rules);
    const requests = kube.requests.map(rbacRequest);
    for (const req of requests) {
      const ok = allowedBy(cluster, req) || (req.namespace === NAMESPACE && allowedBy(role, req));
      assert(ok, `not allowed by deploy/rbac.yaml: ${JSON.stringify(req)}`);
    }
    // Status grants are each used: nothing granted on a hunch.
    for (const grant of cluster.filter((g) => g.includes("/status|"))) {
      const [group, resource, verb] = grant.split("|");
      assert(
        requests.some((r) => r.group === group && r.resource === resource && r.verb === verb),
        `granted but never used: ${grant}`,
      );
    }
    const leaseNames = new Set(
      requests.filter((r) => r.resource === "leases" && r.name).map((r) => r.name),
    );
    const named = role.filter((g) => g.includes("@")).map((g) => g.split("@")[1]);
    assertEquals([...leaseNames], [...new Set(named)], "the Role names another Lease");
    assert(requests.some((r) => r.resource === "leases" && r.verb === "create"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
