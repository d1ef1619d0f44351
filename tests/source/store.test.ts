import { assertEquals } from "@std/assert";
import { createStore } from "../../src/source/store.ts";
import type { GatewayResource } from "../../src/resources/types.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { listTrail } from "../../src/model/list_trail.ts";

function route(name: string, version: string): GatewayResource {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: "default", resourceVersion: version },
    spec: { parentRefs: [{ name: "gw" }] },
  } as GatewayResource;
}

/** A store on a fake clock whose listener "takes" `fireMs` of that clock. */
function setup(fireMs: number) {
  const fake = new FakeClock();
  let busy = 0;
  const clock = { ...fake, now: () => fake.now() + busy, setTimeout: fake.setTimeout.bind(fake) };
  const store = createStore({ clock: clock as unknown as FakeClock });
  const signals: { at: number; changedAt: number; signalledAt: number }[] = [];
  const start = clock.now();
  store.onChange(() => {
    const s = store.lastSignal()!;
    signals.push({
      at: clock.now() - start,
      changedAt: s.changedAt - start,
      signalledAt: s.signalledAt - start,
    });
    busy += fireMs;
  });
  return { fake, store, signals };
}

Deno.test("a change after a quick rebuild is signalled at once: no fixed holdoff by default", async () => {
  const { fake, store, signals } = setup(0);
  store.upsert(route("a", "1"));
  await fake.advance(0);
  await fake.advance(1);
  store.upsert(route("b", "1"));
  assertEquals(fake.nextDelay(), 0, "the listener took no time: nothing to wait for");
  await fake.advance(0);
  assertEquals(signals.map((s) => s.at), [0, 1]);
  store.close();
});

Deno.test("changes during the free time after a slow rebuild share one signal, which says when the first came", async () => {
  const { fake, store, signals } = setup(8);
  store.upsert(route("a", "1"));
  await fake.advance(0);
  // The listener ran 0 → 8 ms (on the store's clock); free time until 16 ms.
  store.upsert(route("b", "1"));
  await fake.advance(3);
  store.upsert(route("c", "1"));
  assertEquals(signals.length, 1);
  await fake.advance(5);
  assertEquals(signals.length, 2, "one signal for b and c, as long after the rebuild as it took");
  assertEquals(signals[1], { at: 16, changedAt: 8, signalledAt: 16 });
  store.close();
});

Deno.test("a snapshot hands back the very list of each kind that did not change since the last", () => {
  const store = createStore();
  const service = (name: string, version: string) =>
    ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "default", resourceVersion: version },
      spec: {},
    }) as GatewayResource;
  store.upsert(route("a", "1"));
  store.upsert(service("s", "1"));
  const first = store.snapshot();
  const same = store.snapshot();
  assertEquals([same.httpRoutes === first.httpRoutes, same.services === first.services], [
    true,
    true,
  ]);
  store.upsert(route("b", "1"));
  const second = store.snapshot();
  assertEquals(second.httpRoutes === first.httpRoutes, false);
  assertEquals(second.httpRoutes.map((r) => r.metadata.name), ["a", "b"]);
  assertEquals(second.services === first.services, true);
  // A new version translate cannot tell apart is still a new list: it holds the new object.
  store.upsert({ ...route("a", "2"), status: { parents: [] } } as GatewayResource);
  const third = store.snapshot();
  assertEquals(third.httpRoutes === second.httpRoutes, false);
  assertEquals(third.httpRoutes[0].metadata.resourceVersion, "2");
  store.delete("Service", "default", "s");
  store.replaceKind("HTTPRoute", [route("c", "1")]);
  const fourth = store.snapshot();
  assertEquals([fourth.services.length, fourth.httpRoutes.map((r) => r.metadata.name)], [0, ["c"]]);
  assertEquals(Object.isFrozen(fourth.httpRoutes), true);
  store.close();
});

Deno.test("a changed kind's list says what left and came since the list before, and only that one", () => {
  const store = createStore();
  store.upsert(route("a", "1"));
  store.upsert(route("b", "1"));
  const first = store.snapshot().httpRoutes;
  const b2 = route("b", "2");
  store.upsert(b2);
  store.upsert(route("c", "1"));
  store.delete("HTTPRoute", "default", "a");
  const second = store.snapshot().httpRoutes;
  const trail = listTrail(second)!;
  assertEquals(trail.since === first, true);
  assertEquals(trail.gone.map((r) => `${r.metadata.name}@${r.metadata.resourceVersion}`), [
    "b@1",
    "a@1",
  ]);
  assertEquals(trail.upserts.map((r) => `${r.metadata.name}@${r.metadata.resourceVersion}`), [
    "b@2",
    "c@1",
  ]);
  store.upsert(route("d", "1"));
  const third = store.snapshot().httpRoutes;
  assertEquals(listTrail(third)!.since === second, true);
  assertEquals(trail.since, undefined, "the list before lets go of the one before it");
  // A kind replaced whole: no trail.
  store.replaceKind("HTTPRoute", [route("e", "1")]);
  assertEquals(listTrail(store.snapshot().httpRoutes), undefined);
  store.close();
});
