/**
 * The real gateway process with `--workers 2`, its routes changed while it
 * runs: every change is served by both workers (the access log says which
 * worker answered each request), and after the first config each worker
 * got the changes as deltas, not the whole config again.
 */
import { assert, assertEquals } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, type GatewayProcess, startGateway } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { gatewayYaml, prefixRule, routeYaml, serviceYaml, writeManifests } from "./_manifests.ts";

/** One request on a connection of its own, so the kernel picks a worker each time. */
async function freshGet(
  port: number,
  host: string,
  requestId: string,
): Promise<{ status: number; backend: string }> {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0, allowHost: true });
  try {
    const res = await fetch(`http://127.0.0.1:${port}/x`, {
      client,
      headers: { host, "x-request-id": requestId },
    });
    await res.body?.cancel();
    return { status: res.status, backend: res.headers.get("x-echo-backend") ?? "" };
  } finally {
    client.close();
  }
}

let sent = 0;

/**
 * Writes the routes, then waits for the rebuild that serves them: the
 * reconciler logs it once every worker has its table.
 */
async function changeRoutes(gw: GatewayProcess, dir: string, routes: string[]): Promise<void> {
  const served = () => gw.logRecords().filter((r) => r.msg === "configuration served").length;
  const before = served();
  await writeManifests(dir, { "routes.yaml": routes.join("---\n") });
  await waitFor("the new routes served", () => served() > before);
}

/** Asks for `host` on fresh connections until both workers answered it, each time `expected`. */
async function bothWorkersAnswer(
  gw: GatewayProcess,
  port: number,
  host: string,
  expected: { status: number; backend: string },
): Promise<void> {
  const ids = new Set<string>();
  await waitFor(`${host} answered ${JSON.stringify(expected)} by both workers`, async () => {
    const id = `change-${sent++}`;
    ids.add(id);
    assertEquals(await freshGet(port, host, id), expected, host);
    const workers = new Set(
      gw.logRecords()
        .filter((r) => r.msg === "request" && ids.has(r.requestId as string))
        .map((r) => r.worker),
    );
    return workers.has(0) && workers.has(1);
  });
}

Deno.test("with --workers 2 route changes reach both workers, as deltas after the first config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-worker-changes-" });
  const a = startEchoBackend({ name: "a" });
  const b = startEchoBackend({ name: "b" });
  const port = freePort();
  const routeA = routeYaml("host-a", ["a.example.com"], prefixRule("/", "a"));
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [serviceYaml("a", a.port), serviceYaml("b", b.port)].join("---\n"),
    "routes.yaml": routeA,
  });
  const gw = await startGateway({
    manifests: dir,
    args: ["--workers", "2", "--access-log", "on", "--log-level", "debug", "--drain-delay", "0s"],
  });
  const notFound = { status: 404, backend: "" };
  try {
    await bothWorkersAnswer(gw, port, "a.example.com", { status: 200, backend: "a" });
    await bothWorkersAnswer(gw, port, "b.example.com", notFound);

    await changeRoutes(gw, dir, [
      routeA,
      routeYaml("host-b", ["b.example.com"], prefixRule("/", "b")),
    ]);
    await bothWorkersAnswer(gw, port, "b.example.com", { status: 200, backend: "b" });

    // host-a goes; host-b now sends to a.
    await changeRoutes(gw, dir, [routeYaml("host-b", ["b.example.com"], prefixRule("/", "a"))]);
    await bothWorkersAnswer(gw, port, "b.example.com", { status: 200, backend: "a" });
    await bothWorkersAnswer(gw, port, "a.example.com", notFound);

    const swaps = gw.logRecords().filter((r) => r.msg === "data-plane worker swapped its table");
    for (const worker of [0, 1]) {
      const own = swaps.filter((r) => r.worker === worker);
      assert(own.length >= 3, `worker ${worker} swapped ${own.length} times`);
      assertEquals(own.map((r) => r.full), [true, ...own.slice(1).map(() => false)]);
    }
  } finally {
    const status = await gw.stop();
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
    assertEquals(status.code, 0);
  }
});
