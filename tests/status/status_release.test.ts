import { assertEquals } from "@std/assert";
import { silentLogger } from "../../src/log/logger.ts";
import { createKubeSource } from "../../src/source/kube.ts";
import { createStore } from "../../src/source/store.ts";
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
  waitFor,
} from "../fake_kube/fake_kube_fixtures.ts";

const GW = "gateway.networking.k8s.io/v1";
type Obj = Record<string, unknown>;
type Conditions = { type: string; status: string; reason: string }[];

function listenerSet(name = "ls", parent = "gw") {
  return {
    apiVersion: GW,
    kind: "ListenerSet",
    metadata: { name, namespace: "default" },
    spec: {
      parentRef: { name: parent },
      listeners: [{ name: "extra", port: 8081, protocol: "HTTP" }],
    },
  };
}

/** The fake API server, the kube source, the writer, and translate between them. */
async function setup(options: { quiet?: boolean } = {}) {
  const kube = await startFakeKube();
  kube.apply(gatewayClass());
  kube.apply({
    ...gateway(),
    spec: { ...gateway().spec, allowedListeners: { namespaces: { from: "Same" } } },
  });
  kube.apply(listenerSet());
  kube.apply({ ...httpRoute("r1"), status: { parents: [OTHER_PARENT] } });
  const client = await clientFor(kube);
  const source = createKubeSource({ client, store: createStore(), logger: silentLogger });
  await source.start();
  const writer = createStatusWriter({
    client,
    // Without the store's quiet changes, a status someone else writes is not
    // written over again before the next result.
    store: options.quiet ? { get: (...args) => source.store.get(...args) } : source.store,
    controllerName: CONTROLLER,
    logger: silentLogger,
  });
  const status = (kind: string, name: string) =>
    kube.get(GW, kind, kind === "GatewayClass" ? undefined : "default", name)?.status as
      | Obj
      | undefined;
  return {
    kube,
    source,
    status,
    /** Translates what the store holds now and waits for the writer. */
    async reconcile() {
      writer.update(translate(source.store.snapshot(), { controllerName: CONTROLLER }));
      await writer.idle();
    },
    /** Waits until the store holds the fake's version of every object named. */
    caughtUp(...objects: [kind: string, name: string][]) {
      return waitFor("the store caught up", () =>
        objects.every(([kind, name]) => {
          const ns = kind === "GatewayClass" ? undefined : "default";
          const version = kube.get(GW, kind, ns, name)?.metadata.resourceVersion;
          return source.store.get(kind as "Gateway", ns, name)?.metadata.resourceVersion ===
            version;
        }));
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
const parentsOf = (status: Obj | undefined) =>
  ((status?.parents ?? []) as Obj[]).map((p) => p.controllerName);

Deno.test("a ListenerSet and a route whose parent Gateway is deleted lose the status we wrote", async () => {
  await using env = await setup();
  env.kube.apply({ ...httpRoute("r2", { gateway: "gw" }) });
  await env.caughtUp(["HTTPRoute", "r2"]);
  await env.reconcile();
  assertEquals(conditions(env.status("ListenerSet", "ls")), [
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
  assertEquals(conditions(set), ["Accepted=Unknown/Pending", "Programmed=Unknown/Pending"]);
  assertEquals(set?.listeners, undefined);
  // Our entries go; another controller's stays.
  assertEquals(env.status("HTTPRoute", "r1")?.parents, [OTHER_PARENT]);
  assertEquals(parentsOf(env.status("HTTPRoute", "r2")), []);
});

Deno.test("a Gateway whose class is no longer ours is reset, and so are its ListenerSets", async () => {
  await using env = await setup();
  await env.reconcile();
  assertEquals(conditions(env.status("Gateway", "gw")).slice(0, 2), [
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
  assertEquals(conditions(gw), ["Accepted=Unknown/Pending", "Programmed=Unknown/Pending"]);
  assertEquals(Object.keys(gw ?? {}), ["conditions"]);
  assertEquals(conditions(env.status("ListenerSet", "ls")), [
    "Accepted=Unknown/Pending",
    "Programmed=Unknown/Pending",
  ]);
});

Deno.test("a ListenerSet status another controller wrote since is left alone when the set is no longer ours", async () => {
  await using env = await setup({ quiet: true });
  await env.reconcile();
  assertEquals(conditions(env.status("ListenerSet", "ls"))[0], "Accepted=True/Accepted");
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
