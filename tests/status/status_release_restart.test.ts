/**
 * A new process (or a new leader) takes back the statuses an earlier one
 * left on objects that stopped being ours while none ran: it never sees
 * them leave a result. Route entries of ours for parents no longer ours go
 * (others' stay): translate reports every route that still carries one.
 * A Gateway whose class is gone and a ListenerSet whose Gateway is gone are
 * found by looking through the store on the first result as leader, and
 * reset; a status another controller's class holds is left alone.
 */
import { assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import { createKubeSource } from "../../src/source/kube.ts";
import { createStore } from "../../src/source/store.ts";
import type { Leadership } from "../../src/status/leader_election.ts";
import { createStatusWriter } from "../../src/status/status_writer.ts";
import { translate } from "../../src/translate/translate.ts";
import { startFakeKube } from "../fake_kube/fake_kube_server.ts";
import {
  clientFor,
  CONTROLLER,
  gateway,
  gatewayClass,
  httpRoute,
  OTHER_PARENT,
} from "../fake_kube/fake_kube_fixtures.ts";

const GW = "gateway.networking.k8s.io/v1";
type Obj = Record<string, unknown>;
type Conditions = { type: string; status: string; reason: string }[];

const accepted = (type = "Accepted") => ({
  type,
  status: "True",
  reason: type,
  message: "",
  observedGeneration: 1,
  lastTransitionTime: "2020-01-01T00:00:00Z",
});

/** What an earlier process of ours wrote on a route attached to `gw`. */
const ourParent = (gw: string) => ({
  parentRef: { name: gw },
  controllerName: CONTROLLER,
  conditions: [accepted()],
});

/** An earlier process's status of an accepted Gateway or ListenerSet. */
const programmed = () => ({
  conditions: [accepted(), accepted("Programmed")],
  listeners: [{
    name: "http",
    attachedRoutes: 1,
    supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
    conditions: [accepted(), accepted("Programmed")],
  }],
});

function listenerSet(name: string, parent: string, status: Obj) {
  return {
    apiVersion: GW,
    kind: "ListenerSet",
    metadata: { name, namespace: "default" },
    spec: {
      parentRef: { name: parent },
      listeners: [{ name: "extra", port: 8081, protocol: "HTTP" }],
    },
    status,
  };
}

function manualLeadership(initial: boolean): Leadership & { set(v: boolean): void } {
  let leading = initial;
  const listeners = new Set<(v: boolean) => void>();
  return {
    isLeader: () => leading,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(v) {
      leading = v;
      for (const l of listeners) l(v);
    },
  };
}

/** The cluster as the earlier process left it; then a new source and writer. */
async function setup(leadership?: Leadership) {
  const kube = await startFakeKube();
  kube.apply(gatewayClass());
  kube.apply(gatewayClass("theirs", "example.com/other"));
  kube.apply({
    ...gateway(),
    spec: { ...gateway().spec, allowedListeners: { namespaces: { from: "Same" } } },
    status: programmed(),
  });
  kube.apply({
    ...gateway("moved", 8091),
    spec: { ...gateway().spec, gatewayClassName: "theirs" },
    status: programmed(),
  });
  kube.apply({
    ...gateway("orphan-default", 8092),
    spec: { ...gateway().spec, gatewayClassName: "deleted" },
    status: {
      conditions: ["Accepted", "Programmed"].map((type) => ({
        type,
        status: "Unknown",
        reason: "Pending",
        message: "Waiting for controller",
        lastTransitionTime: "1970-01-01T00:00:00Z",
      })),
    },
  });
  // Its class was deleted while no gateway ran.
  kube.apply({
    ...gateway("orphan", 8090),
    spec: { ...gateway().spec, gatewayClassName: "deleted" },
    status: programmed(),
  });
  kube.apply(listenerSet("kept", "gw", {}));
  kube.apply(listenerSet("parentless", "deleted-gw", programmed()));
  kube.apply(listenerSet("theirs", "moved", programmed()));
  // A route whose Gateway was deleted, one whose Gateway moved to another
  // class, and one still attached to ours.
  kube.apply({
    ...httpRoute("gone-parent", { gateway: "deleted-gw" }),
    status: { parents: [OTHER_PARENT, ourParent("deleted-gw")] },
  });
  kube.apply({
    ...httpRoute("moved-parent", { gateway: "moved" }),
    status: { parents: [ourParent("moved")] },
  });
  kube.apply({ ...httpRoute("live", { gateway: "gw" }), status: { parents: [ourParent("gw")] } });
  const client = await clientFor(kube);
  const source = createKubeSource({ client, store: createStore(), logger: silentLogger });
  await source.start();
  const writer = createStatusWriter({
    client,
    store: source.store,
    controllerName: CONTROLLER,
    logger: silentLogger,
    leadership,
  });
  return {
    kube,
    status: (kind: string, name: string) =>
      kube.get(GW, kind, "default", name)?.status as Obj | undefined,
    patches: () => kube.requests.filter((r) => r.method === "PATCH").map((r) => r.path),
    async reconcile() {
      writer.update(translate(source.store.snapshot(), { controllerName: CONTROLLER }));
      await writer.idle();
    },
    async [Symbol.asyncDispose]() {
      await writer.stop();
      await source.stop();
      client.close();
      await kube.close();
    },
  };
}

const conditions = (status: Obj | undefined) =>
  ((status?.conditions ?? []) as Conditions).map((c) => `${c.type}=${c.status}/${c.reason}`);
const controllers = (status: Obj | undefined) =>
  ((status?.parents ?? []) as Obj[]).map((p) => `${(p.parentRef as Obj).name}:${p.controllerName}`);

Deno.test("after a restart, our route entries for parents no longer ours go and others' stay", async () => {
  await using env = await setup();
  await env.reconcile();
  assertEquals(controllers(env.status("HTTPRoute", "gone-parent")), [
    "their-gw:example.com/other",
  ]);
  assertEquals(env.status("HTTPRoute", "gone-parent")?.parents, [OTHER_PARENT]);
  assertEquals(controllers(env.status("HTTPRoute", "moved-parent")), []);
  assertEquals(controllers(env.status("HTTPRoute", "live")), [`gw:${CONTROLLER}`]);
});

Deno.test("after a restart, a Gateway whose class is gone and a ListenerSet whose Gateway is gone are reset", async () => {
  await using env = await setup();
  await env.reconcile();
  for (const [kind, name] of [["Gateway", "orphan"], ["ListenerSet", "parentless"]]) {
    const status = env.status(kind, name);
    assertEquals(conditions(status), ["Accepted=Unknown/Pending", "Programmed=Unknown/Pending"]);
    assertEquals(Object.keys(status ?? {}), ["conditions"], `${kind} ${name}`);
  }
  assertEquals(conditions(env.status("Gateway", "gw")).slice(0, 2), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
  assertEquals(conditions(env.status("ListenerSet", "kept"))[0], "Accepted=True/Accepted");
});

Deno.test("after a restart, statuses another controller's class holds are left alone, and defaults are not written", async () => {
  await using env = await setup();
  await env.reconcile();
  assertEquals(env.status("Gateway", "moved"), programmed());
  assertEquals(env.status("ListenerSet", "theirs"), programmed());
  const patched = env.patches();
  assertEquals(patched.filter((p) => /\/(moved|theirs|orphan-default)\//.test(p)), []);
});

Deno.test("a follower leaves old statuses alone; it takes them back once it leads", async () => {
  const leadership = manualLeadership(false);
  await using env = await setup(leadership);
  await env.reconcile();
  assertEquals(controllers(env.status("HTTPRoute", "moved-parent")), [`moved:${CONTROLLER}`]);
  leadership.set(true);
  await env.reconcile();
  assertEquals(controllers(env.status("HTTPRoute", "moved-parent")), []);
  assertEquals(conditions(env.status("Gateway", "orphan"))[0], "Accepted=Unknown/Pending");
});
