import { assertEquals } from "@std/assert";
import {
  CONTROLLER,
  gateway,
  gatewayClass,
  httpRoute,
  OTHER_PARENT,
  waitFor,
} from "../fake_kube/fake_kube_fixtures.ts";
import { conditionsOf, GW, listenerSet, type Obj, startStatusEnv } from "./_status_env.ts";

/** The fake API server, the kube source, the writer, and translate between them. */
function setup(options: { quiet?: boolean } = {}) {
  return startStatusEnv({
    objects: [
      gatewayClass(),
      {
        ...gateway(),
        spec: { ...gateway().spec, allowedListeners: { namespaces: { from: "Same" } } },
      },
      listenerSet(),
      { ...httpRoute("r1"), status: { parents: [OTHER_PARENT] } },
    ],
    // Without the store's quiet changes, a status someone else writes is not
    // written over again before the next result.
    storeView: options.quiet ? (store) => ({ get: (...args) => store.get(...args) }) : undefined,
  });
}

const parentsOf = (status: Obj | undefined) =>
  ((status?.parents ?? []) as Obj[]).map((p) => p.controllerName);

Deno.test("a ListenerSet and a route whose parent Gateway is deleted lose the status we wrote", async () => {
  await using env = await setup();
  env.kube.apply({ ...httpRoute("r2", { gateway: "gw" }) });
  await env.caughtUp(["HTTPRoute", "r2"]);
  await env.reconcile();
  assertEquals(conditionsOf(env.status("ListenerSet", "ls")), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
  assertEquals(parentsOf(env.status("HTTPRoute", "r1")), ["example.com/other", CONTROLLER]);
  await env.caughtUp(["ListenerSet", "ls"], ["HTTPRoute", "r1"], ["HTTPRoute", "r2"]);

  env.kube.remove(GW, "Gateway", "default", "gw");
  await waitFor(
    "the store sees the Gateway go",
    () => !env.source.store.get("Gateway", "default", "gw"),
  );
  await env.reconcile();
  // Nobody serves the set now: back to what the API server gives a new one.
  const set = env.status("ListenerSet", "ls");
  assertEquals(conditionsOf(set), ["Accepted=Unknown/Pending", "Programmed=Unknown/Pending"]);
  assertEquals(set?.listeners, undefined);
  // Our entries go; another controller's stays.
  assertEquals(env.status("HTTPRoute", "r1")?.parents, [OTHER_PARENT]);
  assertEquals(parentsOf(env.status("HTTPRoute", "r2")), []);
});

Deno.test("a Gateway whose class is no longer ours is reset, and so are its ListenerSets", async () => {
  await using env = await setup();
  await env.reconcile();
  assertEquals(conditionsOf(env.status("Gateway", "gw")).slice(0, 2), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
  await env.caughtUp(["Gateway", "gw"], ["ListenerSet", "ls"]);

  env.kube.apply({ ...gatewayClass(), spec: { controllerName: "example.com/other" } });
  await waitFor(
    "the store sees the class change",
    () =>
      ((env.source.store.get("GatewayClass", undefined, "serval") as Obj | undefined)?.spec as Obj)
        .controllerName ===
        "example.com/other",
  );
  await env.reconcile();
  const gw = env.status("Gateway", "gw");
  assertEquals(conditionsOf(gw), ["Accepted=Unknown/Pending", "Programmed=Unknown/Pending"]);
  assertEquals(Object.keys(gw ?? {}), ["conditions"]);
  assertEquals(conditionsOf(env.status("ListenerSet", "ls")), [
    "Accepted=Unknown/Pending",
    "Programmed=Unknown/Pending",
  ]);
});

Deno.test("a ListenerSet status another controller wrote since is left alone when the set is no longer ours", async () => {
  await using env = await setup({ quiet: true });
  await env.reconcile();
  assertEquals(conditionsOf(env.status("ListenerSet", "ls"))[0], "Accepted=True/Accepted");
  await env.caughtUp(["ListenerSet", "ls"]);
  // Its Gateway moves to another class, whose controller writes first.
  const theirs = {
    conditions: [{
      type: "Accepted",
      status: "False",
      reason: "NotAllowed",
      message: "theirs",
      lastTransitionTime: "2020-01-01T00:00:00Z",
    }],
  };
  env.kube.apply({ ...listenerSet(), status: theirs });
  env.kube.apply({ ...gateway(), spec: { ...gateway().spec, gatewayClassName: "theirs" } });
  await env.caughtUp(["ListenerSet", "ls"], ["Gateway", "gw"]);
  await env.reconcile();
  assertEquals(env.status("ListenerSet", "ls"), theirs);
});
