/**
 * The real gateway process with `--source kube` against the fake API server:
 * objects created, changed and deleted through the API are served, and traffic keeps flowing while the API server is away.
 */
import { assertEquals } from "@std/assert";
import { type EchoReply, startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startFakeKube } from "../fake_kube/fake_kube_server.ts";
import {
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  namespace,
  service,
  waitFor,
} from "../fake_kube/fake_kube_fixtures.ts";

const GW = "gateway.networking.k8s.io/v1";

Deno.test("gateway with --source kube serves what the API says, through changes and an API outage", async (t) => {
  await using kube = await startFakeKube();
  const a = startEchoBackend({ name: "a" });
  const b = startEchoBackend({ name: "b" });
  const port = freePort();
  kube.apply(namespace("default"));
  kube.apply(gatewayClass());
  kube.apply(gateway("gw", port));
  kube.apply(service("svc-a"));
  kube.apply(service("svc-b"));
  kube.apply(endpointSlice("svc-a", ["127.0.0.1"], a.port));
  kube.apply(endpointSlice("svc-b", ["127.0.0.1"], b.port));
  kube.apply(httpRoute("first", { prefix: "/", backend: "svc-a" }));
  const dir = await Deno.makeTempDir();
  const kubeconfig = await kube.writeKubeconfig(`${dir}/kubeconfig`);
  await using gw = await startGateway({ args: ["--source", "kube", "--kubeconfig", kubeconfig] });

  // Deno's fetch drops a caller-set Host header unless the client allows it.
  using http = Deno.createHttpClient({ allowHost: true });
  const get = async (path: string, host = "example.test") => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { host }, client: http });
    const text = await res.text();
    return { status: res.status, backend: res.ok ? (JSON.parse(text) as EchoReply).backend : "" };
  };

  try {
    await t.step("the route listed at startup is served", async () => {
      assertEquals(await get("/hello"), { status: 200, backend: "a" });
      const config = await (await gw.admin("/config")).json();
      assertEquals(config.source.kind, "kube");
      assertEquals(config.source.syncState.HTTPRoute.objects, 1);
    });

    await t.step("a route created through the API is served", async () => {
      kube.apply(httpRoute("second", { host: "second.test", backend: "svc-b" }));
      await waitFor(
        "second route served",
        async () => (await get("/", "second.test")).backend === "b",
      );
    });

    await t.step("an EndpointSlice change moves traffic to the new endpoints", async () => {
      kube.apply(endpointSlice("svc-a", ["127.0.0.1"], b.port));
      await waitFor("traffic shifted", async () => (await get("/x")).backend === "b");
    });

    await t.step("a deleted route answers 404", async () => {
      kube.remove(GW, "HTTPRoute", "default", "second");
      await waitFor(
        "second route gone",
        async () => (await get("/", "second.test")).status === 404,
      );
    });

    await t.step(
      "while the API server is down, traffic is served; changes made meanwhile arrive after",
      async () => {
        await kube.down();
        kube.apply(endpointSlice("svc-a", ["127.0.0.1"], a.port));
        kube.store.compact();
        // Requests go on until the gateway itself reports the lost API server, and after.
        const statuses = new Set<number>();
        await waitFor("the outage seen by the gateway", async () => {
          statuses.add((await get("/during")).status);
          const config = await (await gw.admin("/config")).json();
          const kinds = Object.values(config.source.syncState) as { lastError?: string }[];
          return kinds.some((k) => k.lastError);
        });
        for (let i = 0; i < 5; i++) statuses.add((await get("/during")).status);
        assertEquals([...statuses], [200]);
        await kube.up();
        await waitFor(
          "outage change applied",
          async () => (await get("/after")).backend === "a",
        );
      },
    );
  } finally {
    await a.close();
    await b.close();
  }
});
