import { assert, assertEquals } from "@std/assert";
import { sameForTranslate } from "../../src/resources/translate_relevance.ts";
import { createStore } from "../../src/source/store.ts";
import type { GatewayResource } from "../../src/resources/types.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const CONTROLLER = "gateway.serval.dev/controller";

function route(resourceVersion: string, status?: unknown, host = "a.test"): GatewayResource {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "r", namespace: "default", resourceVersion, generation: 1 },
    spec: { parentRefs: [{ name: "gw" }], hostnames: [host] },
    ...(status === undefined ? {} : { status }),
  } as unknown as GatewayResource;
}

function parents(controllerName: string, reason: string) {
  return {
    parents: [{
      parentRef: { name: "gw" },
      controllerName,
      conditions: [{ type: "Accepted", status: "True", reason, observedGeneration: 1 }],
    }],
  };
}

Deno.test("our own status write coming back is not a change translate can see", () => {
  assert(sameForTranslate(route("1"), route("2", parents(CONTROLLER, "Accepted"))));
  assert(
    sameForTranslate(
      route("2", parents(CONTROLLER, "Accepted")),
      route("3", parents(CONTROLLER, "NotAllowedByListeners")),
    ),
    "conditions changed, the controllers reporting did not",
  );
});

Deno.test("a change of spec or labels is a change", () => {
  const base = route("1", parents(CONTROLLER, "Accepted"));
  assertEquals(
    sameForTranslate(base, route("2", parents(CONTROLLER, "Accepted"), "b.test")),
    false,
  );
  const labelled = route("2", parents(CONTROLLER, "Accepted"));
  (labelled.metadata as { labels?: Record<string, string> }).labels = { team: "a" };
  assertEquals(sameForTranslate(base, labelled), false);
});

Deno.test("a Gateway's status.addresses is seen by translate (pool addresses stick)", () => {
  const gw = (rv: string, addresses: unknown[]) =>
    ({
      kind: "Gateway",
      metadata: { name: "gw", resourceVersion: rv },
      spec: {},
      status: { addresses, conditions: [] },
    }) as unknown as GatewayResource;
  const a = gw("1", [{ type: "IPAddress", value: "10.0.0.1" }]);
  assert(sameForTranslate(a, gw("2", [{ type: "IPAddress", value: "10.0.0.1" }])));
  assertEquals(sameForTranslate(a, gw("2", [{ type: "IPAddress", value: "10.0.0.2" }])), false);
});

Deno.test("the store keeps a status-only version but signals no change for it", async () => {
  const clock = new FakeClock();
  const store = createStore({ clock });
  let signals = 0;
  store.onChange(() => signals++);
  const quiet: string[] = [];
  store.onQuietChange((o) => quiet.push(o.metadata.resourceVersion ?? ""));
  store.upsert(route("1", parents(CONTROLLER, "Pending")));
  await clock.advance(1_000);
  assertEquals([signals, store.version()], [1, 1]);
  assert(store.upsert(route("2", parents(CONTROLLER, "Accepted"))), "stored");
  assert(store.upsert(route("3", parents(CONTROLLER, "Invalid"))));
  assert(store.replaceKind("HTTPRoute", [route("4", parents(CONTROLLER, "Accepted"))]));
  await clock.advance(1_000);
  assertEquals([signals, store.version()], [1, 1], "no signal, no new version");
  assertEquals(quiet, ["2", "3", "4"], "but the quiet listener hears of each");
  assertEquals(store.list("HTTPRoute")[0].metadata.resourceVersion, "4");
  store.upsert(route("5", parents(CONTROLLER, "Accepted"), "b.test"));
  await clock.advance(1_000);
  assertEquals([signals, store.version()], [2, 2]);
  store.close();
});

Deno.test("a Service's status.loadBalancer is seen (the Gateway addresses published come from it)", () => {
  const svc = (rv: string, ip?: string) =>
    ({
      kind: "Service",
      metadata: { name: "gw-lb", namespace: "default", resourceVersion: rv },
      spec: { ports: [] },
      status: { loadBalancer: ip === undefined ? {} : { ingress: [{ ip }] } },
    }) as unknown as GatewayResource;
  assert(sameForTranslate(svc("1", "203.0.113.1"), svc("2", "203.0.113.1")));
  assertEquals(sameForTranslate(svc("1"), svc("2", "203.0.113.1")), false);
});
