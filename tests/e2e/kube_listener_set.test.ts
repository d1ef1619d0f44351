/**
 * ListenerSet against the fake API server, through the real process
 * (`--source kube`): the set is listed and watched, its listener serves on a
 * port only it brings, and the status writer patches the set's status and
 * the Gateway's `attachedListenerSets`; when the Gateway stops admitting
 * sets, both follow and the set's port closes.
 */
import { assertEquals } from "@std/assert";
import { gateway, waitFor } from "../fake_kube/fake_kube_fixtures.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { conditionSummary, GW, type Obj, startKubeWorld } from "./kube_world.ts";

function admitting(port: number, allowed: boolean) {
  const gw = gateway("gw", port);
  return allowed
    ? { ...gw, spec: { ...gw.spec, allowedListeners: { namespaces: { from: "Same" } } } }
    : gw;
}

Deno.test("a ListenerSet from the API server serves, and its status and the Gateway's count follow the Gateway", async () => {
  await using world = await startKubeWorld();
  const { kube } = world;
  const setPort = freePort();
  kube.apply(admitting(world.port, true));
  kube.apply({
    apiVersion: GW,
    kind: "ListenerSet",
    metadata: { name: "extra", namespace: "default" },
    spec: {
      parentRef: { name: "gw" },
      listeners: [{ name: "extra", port: setPort, protocol: "HTTP", hostname: "set.test" }],
    },
  });
  kube.apply({
    apiVersion: GW,
    kind: "HTTPRoute",
    metadata: { name: "via-set", namespace: "default" },
    spec: {
      parentRefs: [{ kind: "ListenerSet", group: "gateway.networking.k8s.io", name: "extra" }],
      rules: [{ backendRefs: [{ name: "svc-b", port: 80 }] }],
    },
  });
  const gw = await world.start("solo");
  const logTail = () => gw.logs().slice(-40).join("\n");
  const attached = () => world.status("Gateway", "gw")?.attachedListenerSets;

  await waitFor("the ListenerSet's status and the Gateway's count", () => {
    const set = conditionSummary(world.status("ListenerSet", "extra"));
    return set.Accepted === "True/Accepted" && attached() === 1 ? true : undefined;
  }).catch((e) => {
    throw new Error(`${e.message}; log:\n${logTail()}`);
  });
  const set = world.status("ListenerSet", "extra")!;
  assertEquals(conditionSummary(set).Programmed, "True/Programmed");
  const listeners = set.listeners as Obj[];
  assertEquals(listeners.map((l) => [l.name, l.attachedRoutes]), [["extra", 1]]);
  // fetch drops a caller-set Host unless its client allows it.
  using client = Deno.createHttpClient({ allowHost: true });
  const res = await fetch(`http://127.0.0.1:${setPort}/`, {
    headers: { host: "set.test" },
    client,
  });
  assertEquals((await res.json()).backend, "b");

  kube.apply(admitting(world.port, false));
  await waitFor("NotAllowed, no set counted, the set's port closed", async () => {
    const summary = conditionSummary(world.status("ListenerSet", "extra"));
    const closed = await Deno.connect({ hostname: "127.0.0.1", port: setPort }).then(
      (c) => (c.close(), false),
      () => true,
    );
    return summary.Accepted === "False/NotAllowed" && attached() === 0 && closed ? true : undefined;
  }).catch((e) => {
    throw new Error(`${e.message}; log:\n${logTail()}`);
  });
});
