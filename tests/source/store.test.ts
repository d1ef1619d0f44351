import { assertEquals } from "@std/assert";
import { createStore } from "../../src/source/store.ts";
import type { GatewayResource } from "../../src/resources/types.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

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
