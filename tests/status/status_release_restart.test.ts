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
import type { Leadership } from "../../src/status/leader_election.ts";
import {
  CONTROLLER,
  gateway,
  gatewayClass,
  httpRoute,
  OTHER_PARENT,
} from "../fake_kube/fake_kube_fixtures.ts";
import {
  conditionsOf,
  listenerSet,
  manualLeadership,
  type Obj,
  startStatusEnv,
} from "./_status_env.ts";

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

/** The cluster as the earlier process left it; then a new source and writer. */
function setup(leadership?: Leadership) {
  const objects: Obj[] = [];
  objects.push(gatewayClass());
  objects.push(gatewayClass("theirs", "example.com/other"));
  objects.push({
    ...gateway(),
    spec: { ...gateway().spec, allowedListeners: { namespaces: { from: "Same" } } },
    status: programmed(),
  });
  objects.push({
    ...gateway("moved", 8091),
    spec: { ...gateway().spec, gatewayClassName: "theirs" },
    status: programmed(),
  });
  objects.push({
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
  objects.push({
    ...gateway("orphan", 8090),
    spec: { ...gateway().spec, gatewayClassName: "deleted" },
    status: programmed(),
  });
  objects.push(listenerSet("kept", "gw", {}));
  objects.push(listenerSet("parentless", "deleted-gw", programmed()));
  objects.push(listenerSet("theirs", "moved", programmed()));
  // A route whose Gateway was deleted, one whose Gateway moved to another
  // class, and one still attached to ours.
  objects.push({
    ...httpRoute("gone-parent", { gateway: "deleted-gw" }),
    status: { parents: [OTHER_PARENT, ourParent("deleted-gw")] },
  });
  objects.push({
    ...httpRoute("moved-parent", { gateway: "moved" }),
    status: { parents: [ourParent("moved")] },
  });
  objects.push({ ...httpRoute("live", { gateway: "gw" }), status: { parents: [ourParent("gw")] } });
  return startStatusEnv({ objects, writer: { leadership } });
}

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
    assertEquals(conditionsOf(status), ["Accepted=Unknown/Pending", "Programmed=Unknown/Pending"]);
    assertEquals(Object.keys(status ?? {}), ["conditions"], `${kind} ${name}`);
  }
  assertEquals(conditionsOf(env.status("Gateway", "gw")).slice(0, 2), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
  assertEquals(conditionsOf(env.status("ListenerSet", "kept"))[0], "Accepted=True/Accepted");
});

Deno.test("after a restart, statuses another controller's class holds are left alone, and defaults are not written", async () => {
  await using env = await setup();
  await env.reconcile();
  assertEquals(env.status("Gateway", "moved"), programmed());
  assertEquals(env.status("ListenerSet", "theirs"), programmed());
  const patched = env.patched();
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
  assertEquals(conditionsOf(env.status("Gateway", "orphan"))[0], "Accepted=Unknown/Pending");
});
