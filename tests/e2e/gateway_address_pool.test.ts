/**
 * `--gateway-address-pool` through the real process against the fake API
 * server: two Gateways on one port with no hostname each get an address of
 * their own, bind only there, reach only their own routes, publish the
 * address in their status, and keep it across a config change and a
 * restart. The pool is on loopback (127.34.0.0/24), which Linux routes to
 * this host without any setup.
 */
import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { gateway, httpRoute, waitFor } from "../fake_kube/fake_kube_fixtures.ts";
import { conditionSummary, GW, type Obj, startKubeWorld } from "./kube_world.ts";

const POOL = "127.34.0.0/24";
/** An address the seeded status of Gateway "two" holds: not what a hash would pick for it. */
const HELD = "127.34.0.200";

const addressesOf = (
  status: Obj | undefined,
) => ((status?.addresses ?? []) as { type: string; value: string }[]);

Deno.test("each Gateway on a shared port gets its own pool address, reachable only there, kept across changes and restarts", async (t) => {
  await using world = await startKubeWorld();
  const { kube } = world;
  // "gw" (seeded by the world) routes to backend a; "two", on the same port
  // with no hostname either, routes to backend b.
  kube.apply({
    ...gateway("two", world.port),
    status: { addresses: [{ type: "IPAddress", value: HELD }] },
  });
  kube.apply(httpRoute("web-two", { prefix: "/", backend: "svc-b", gateway: "two" }));
  let gw = await world.start("first", { args: ["--gateway-address-pool", POOL] });
  const published = (name: string) => {
    const status = world.status("Gateway", name);
    const summary = conditionSummary(status);
    return summary.Programmed === "True/Programmed" && addressesOf(status).length === 1
      ? addressesOf(status)[0]
      : undefined;
  };
  const logTail = () => gw.logs().slice(-40).join("\n");
  let one = "";

  await t.step("both Gateways publish one IPAddress each from the pool", async () => {
    const [a, b] = await Promise.all(
      ["gw", "two"].map((name) =>
        waitFor(`Gateway ${name} programmed with an address`, () => published(name), 20_000)
          .catch((e) => {
            throw new Error(`${e.message}; log:\n${logTail()}`);
          })
      ),
    );
    assertEquals(a.type, "IPAddress");
    assert(a.value.startsWith("127.34.0."), a.value);
    assertEquals(b, { type: "IPAddress", value: HELD }, "the address its status held stays");
    assertNotEquals(a.value, b.value);
    one = a.value;
  });

  await t.step("each address reaches only its own Gateway's routes", async () => {
    assertEquals(await world.get("/", { listenHost: one }), { status: 200, backend: "a" });
    assertEquals(await world.get("/", { listenHost: HELD }), { status: 200, backend: "b" });
    // Nothing binds the port on another address: no shared socket remains.
    await assertRejects(() => world.get("/", { listenHost: "127.34.0.250" }));
    const config = await (await gw.admin("/config")).json();
    const listeners = (config.listeners as Obj[]).map((l) => `${l.address}:${l.port}:${l.bound}`);
    assertEquals(
      listeners.sort(),
      [`${HELD}:${world.port}:true`, `${one}:${world.port}:true`].sort(),
    );
  });

  await t.step("the GatewayClass lists its supported features", () => {
    const features = (world.status("GatewayClass", "serval")?.supportedFeatures ?? []) as Obj[];
    const names = features.map((f) => f.name);
    assert(names.includes("Gateway") && names.includes("HTTPRoute"), JSON.stringify(names));
    assertEquals(names, [...names].sort());
  });

  await t.step(
    "a new Gateway asking for a pool address gets it; the others keep theirs",
    async () => {
      kube.apply({
        ...gateway("three", world.port),
        spec: {
          ...gateway("three", world.port).spec,
          addresses: [{ type: "IPAddress", value: "127.34.0.9" }],
        },
      });
      await waitFor("Gateway three programmed", () => published("three"), 20_000);
      assertEquals(published("three"), { type: "IPAddress", value: "127.34.0.9" });
      assertEquals(published("gw")?.value, one);
      assertEquals(published("two")?.value, HELD);
    },
  );

  await t.step("an address outside the pool is Programmed=False/AddressNotUsable", async () => {
    kube.apply({
      ...gateway("outside", world.port),
      spec: {
        ...gateway("outside", world.port).spec,
        addresses: [{ type: "IPAddress", value: "198.51.100.7" }],
      },
    });
    await waitFor(
      "Gateway outside not programmed",
      () => conditionSummary(world.status("Gateway", "outside")).Programmed,
      20_000,
    );
    const status = world.status("Gateway", "outside");
    assertEquals(conditionSummary(status), {
      Accepted: "True/Accepted",
      Programmed: "False/AddressNotUsable",
    });
    assertEquals(addressesOf(status), []);
  });

  await t.step("after a restart every Gateway keeps its address and its routes", async () => {
    assertEquals((await gw.stop()).code, 0);
    gw = await world.start("second", { args: ["--gateway-address-pool", POOL] });
    assertEquals(await world.get("/", { listenHost: one }), { status: 200, backend: "a" });
    assertEquals(await world.get("/", { listenHost: HELD }), { status: 200, backend: "b" });
    assertEquals(published("gw")?.value, one);
    assertEquals(published("two")?.value, HELD);
    assertEquals(published("three")?.value, "127.34.0.9");
  });
});

Deno.test("a pool address the host does not have is Programmed=False/AddressNotUsable, logged, and the process keeps running", async () => {
  await using world = await startKubeWorld();
  // 192.0.2.0/24 is reserved for documentation: no interface here has it, so
  // the bind fails; nothing is ever sent to it.
  const gw = await world.start("unbindable", {
    args: ["--gateway-address-pool", "192.0.2.0/24"],
    waitFor: "healthz",
  });
  await waitFor(
    "Gateway gw not programmed",
    () => conditionSummary(world.status("Gateway", "gw")).Programmed === "False/AddressNotUsable",
    20_000,
  ).catch((e) => {
    throw new Error(`${e.message}; log:\n${gw.logs().slice(-40).join("\n")}`);
  });
  const programmed = ((world.status("Gateway", "gw")?.conditions ?? []) as Obj[])
    .find((c) => c.type === "Programmed")!;
  assert(
    String(programmed.message).includes("Cannot bind HTTP listener on 192.0.2."),
    String(programmed.message),
  );
  assert(gw.logs().some((line) => line.includes("Cannot bind HTTP listener on 192.0.2.")));
  assertEquals((await gw.admin("/healthz")).status, 200);
  assertEquals((await gw.admin("/readyz")).status, 503);
  assertEquals((await gw.stop()).code, 0);
});

Deno.test("the GatewayStaticAddresses sequence: unsupported type, then an unusable address, then only the usable one", async () => {
  await using world = await startKubeWorld();
  const { kube } = world;
  const usable = { type: "IPAddress", value: "127.34.0.250" };
  const unusable = { type: "IPAddress", value: "10.255.255.1" };
  const invalid = { type: "test/fake-invalid-type", value: "fake address" };
  const staticGateway = (addresses: unknown[]) => {
    const base = gateway("static", world.port);
    return { ...base, spec: { ...base.spec, addresses } };
  };
  kube.apply(staticGateway([invalid, unusable, usable]));
  const gw = await world.start("static", { args: ["--gateway-address-pool", POOL] });
  /** The Gateway's conditions once they describe its latest generation. */
  const latest = (what: string) =>
    waitFor(what, () => {
      const object = kube.get(GW, "Gateway", "default", "static");
      const status = object?.status as Obj | undefined;
      const conditions = (status?.conditions ?? []) as Obj[];
      const generation = (object?.metadata as Obj | undefined)?.generation;
      return conditions.length > 0 && conditions.every((c) => c.observedGeneration === generation)
        ? status
        : undefined;
    }, 20_000).catch((e) => {
      throw new Error(`${e.message}; log:\n${gw.logs().slice(-40).join("\n")}`);
    });

  let status = await latest("conditions of generation 1");
  assertEquals(conditionSummary(status).Accepted, "False/UnsupportedAddress");

  kube.apply(staticGateway([unusable, usable]));
  status = await latest("conditions of generation 2");
  assertEquals(conditionSummary(status), {
    Accepted: "True/Accepted",
    Programmed: "False/AddressNotUsable",
  });

  kube.apply(staticGateway([usable]));
  status = await latest("conditions of generation 3");
  assertEquals(conditionSummary(status), {
    Accepted: "True/Accepted",
    Programmed: "True/Programmed",
  });
  assertEquals(addressesOf(status), [usable]);
  const [listener] = status!.listeners as Obj[];
  assertEquals(conditionSummary(listener).Accepted, "True/Accepted");
  assertEquals(conditionSummary(listener).ResolvedRefs, "True/ResolvedRefs");
  // Bound and served: no route attaches to "static", so its own listener answers 404.
  assertEquals(await world.get("/", { listenHost: usable.value }), { status: 404, backend: "" });
  assertEquals((await gw.stop()).code, 0);
});
