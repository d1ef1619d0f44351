/**
 * SIGTERM drains: readiness turns 503 at once, listeners keep accepting for
 * `--drain-delay`, in-flight requests finish, and the process exits 0.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { startLoadClients } from "./_load_clients.ts";
import {
  client,
  gatewayYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

const HOST = "drain.example.com";

async function setup<B extends { port: number }>(backend: B) {
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-drain-" });
  const port = freePort();
  await writeManifests(dir, {
    "all.yaml": [
      gatewayYaml(port),
      serviceYaml("slow", backend.port),
      routeYaml("drain", [HOST], prefixRule("/", "slow")),
    ].join("---\n"),
  });
  return { dir, backend, port };
}

/** A backend that takes a request and never answers: only a timeout ends the wait. */
function startSilentBackend() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let received = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      conn.read(new Uint8Array(16_384)).then((n) => n && received++, () => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received: () => received,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Closed by the peer already.
        }
      }
      await accepting;
    },
  };
}

function request(port: number, delayMs: number) {
  return fetch(`http://127.0.0.1:${port}/work`, {
    client,
    headers: { host: HOST, "x-echo-delay": String(delayMs) },
  });
}

Deno.test("SIGTERM: readiness 503 at once, new requests served during the drain delay, in-flight finishes, exit 0", async () => {
  const { dir, backend, port } = await setup(startEchoBackend({ name: "slow" }));
  await using gw = await startGateway({
    manifests: dir,
    // Long enough for the checks below to run inside it on a busy machine.
    args: ["--drain-delay", "3s", "--shutdown-timeout", "30s"],
  });
  try {
    const inFlight = request(port, 3_500);
    await waitFor("the request at the backend", () => backend.received() === 1);
    const started = performance.now();
    gw.kill("SIGTERM");
    await gw.waitForLog((r) => String(r.msg).startsWith("shutting down"));
    const ready = await gw.admin("/readyz");
    assertEquals(ready.status, 503);
    await ready.body?.cancel();

    const during = await request(port, 0);
    assertEquals(during.status, 200, "still accepting during the drain delay");
    await during.body?.cancel();

    const res = await inFlight;
    assertEquals(res.status, 200);
    assertEquals((await res.json()).backend, "slow");
    const status = await gw.status;
    assertEquals(status.code, 0);
    const elapsed = performance.now() - started;
    assert(elapsed >= 3_000, `exited after ${elapsed} ms, before the drain delay ended`);
    await assertRejects(() => request(port, 0), TypeError);
  } finally {
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGTERM: a request slower than --shutdown-timeout does not hold the exit", async () => {
  const { dir, backend, port } = await setup(startSilentBackend());
  await using gw = await startGateway({
    manifests: dir,
    args: ["--drain-delay", "0s", "--shutdown-timeout", "300ms"],
  });
  try {
    const slow = request(port, 0).then((r) => r.body?.cancel(), () => undefined);
    await waitFor("the request at the backend", () => backend.received() === 1);
    const status = await gw.stop(30_000);
    assertEquals(status.code, 0);
    await gw.waitForLog((r) => String(r.msg).includes("did not finish in time"), 100);
    await slow;
  } finally {
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGTERM under load: no request fails, kept-alive clients are told to close, in-flight finishes", async () => {
  const { dir, backend, port } = await setup(startEchoBackend({ name: "slow" }));
  await using gw = await startGateway({
    manifests: dir,
    args: ["--drain-delay", "2s", "--shutdown-timeout", "20s", "--log-level", "info"],
  });
  const clients = startLoadClients({ port, host: HOST, keepAlive: 3, newConnections: 2 });
  try {
    await waitFor("the clients under way", () => clients.report.answers.length >= 50);
    const before = backend.received();
    const inFlight = request(port, 1_500);
    await waitFor("the slow request at the backend", () => backend.received() > before);
    clients.shutdownBegan();
    gw.kill("SIGTERM");
    const status = await gw.status;
    await clients.stop();
    const res = await inFlight;
    assertEquals(res.status, 200, "the request in flight at SIGTERM finished");
    await res.body?.cancel();
    assertEquals(status.code, 0);

    const { answers, failures, retried } = clients.report;
    const summary = `${answers.length} answers, ${retried} retried, failures: ${
      failures.join("; ")
    }`;
    assertEquals(failures, [], summary);
    assertEquals(answers.filter((a) => a.status !== 200).length, 0, summary);
    assert(answers.some((a) => a.afterShutdown), `served during the drain: ${summary}`);
    assert(answers.some((a) => a.close), `Connection: close sent while draining: ${summary}`);
    await assertRejects(() => Deno.connect({ hostname: "127.0.0.1", port }));
  } finally {
    await clients.stop();
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});
