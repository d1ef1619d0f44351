/**
 * HTTPS with `--workers 2`: every worker binds the port's front door with
 * `SO_REUSEPORT` and relays to its own loopback TLS listener, so fresh
 * connections land on either worker and still get their SNI's certificate,
 * listener and 421 decisions; a certificate rotation reaches every worker.
 * Which worker answered is read from the pool's per-worker request counts.
 */
import { assert, assertEquals } from "@std/assert";
import { createWorkerPool, type WorkerPool } from "../../src/dataplane/worker_pool.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { createTestCa, type TestCa } from "../_helpers/certs.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { echoOf, header, httpsConfig, type TestListener, threeListeners } from "./_tls_harness.ts";
import { httpOverTls, peerCertificate, type RawResponse } from "./tls_test_client.ts";
import { waitFor } from "../_helpers/wait_for.ts";

/** One connection of its own (verification on) per call, so the kernel picks a worker each time. */
async function freshExchange(
  port: number,
  caPem: string,
  serverName: string,
  hosts: string[],
): Promise<RawResponse[]> {
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port,
    serverName,
    caCerts: [caPem],
    alpnProtocols: ["http/1.1"],
  });
  try {
    const responses: RawResponse[] = [];
    for (const host of hosts) responses.push(await httpOverTls(conn, { host, path: "/" }));
    return responses;
  } finally {
    conn.close();
  }
}

/** Waits for `check` to hold (a 60 s deadline only a defect reaches). */
const until = (what: string, check: () => boolean): Promise<void> => waitFor(what, check);

const counts = (pool: WorkerPool) => pool.workerStats().map((s) => s.requests);
const total = (pool: WorkerPool) => counts(pool).reduce((a, b) => a + b, 0);

/**
 * Runs `exchange` on fresh connections until every worker has counted more
 * requests than `before` (the kernel spreads connections over the workers by
 * a hash, so how many that takes varies); returns how many ran.
 */
async function untilEveryWorkerServed(
  pool: WorkerPool,
  exchange: (i: number) => Promise<void>,
  before: number[] = counts(pool).map(() => 0),
): Promise<number> {
  let sent = 0;
  await waitFor("a request served by every worker", async () => {
    await exchange(sent++);
    return counts(pool).every((n, i) => n > before[i]);
  });
  return sent;
}

/** Two workers serving an HTTPS port with `listeners`; disposing stops everything. */
async function startPool(ca: TestCa, listeners: TestListener[]) {
  const echo = startEchoBackend();
  const port = freePort();
  const pool = createWorkerPool({
    workers: 2,
    hostname: "127.0.0.1",
    flushMs: 50,
    logLevel: "warn",
  });
  const apply = async (next: TestListener[]) => {
    const states = await pool.reconcile(httpsConfig(port, echo.port, next));
    assertEquals(states, [{ port, protocol: "HTTPS", bound: true }]);
  };
  await apply(listeners);
  assert(pool.ready());
  return {
    pool,
    port,
    caFile: `${ca.dir}/ca.crt`,
    apply,
    async [Symbol.asyncDispose]() {
      await pool.shutdown({ graceMs: 2000 });
      await echo.close();
    },
  };
}

const BY_NAME: [serverName: string, listener: string][] = [
  ["foo.example.com", "exact"],
  ["bar.example.com", "wild"],
  ["default.example.org", "default"],
];

Deno.test("two workers share an HTTPS port: every fresh verified connection is answered by its SNI's listener, on both workers", async () => {
  await using ca = await createTestCa();
  await using served = await startPool(ca, await threeListeners(ca));
  const connections = await untilEveryWorkerServed(served.pool, async (i) => {
    const [serverName, listener] = BY_NAME[i % BY_NAME.length];
    const [res] = await freshExchange(served.port, ca.certPem, serverName, [serverName]);
    assertEquals(res.status, 200, `${serverName}: ${res.body}`);
    assertEquals(header(echoOf(res.body), "x-listener"), listener);
  });
  await until("every request counted", () => total(served.pool) === connections);
});

Deno.test("two workers share an HTTPS port: each server name gets its own certificate", async () => {
  await using ca = await createTestCa();
  await using served = await startPool(ca, await threeListeners(ca));
  const expected: [string, string][] = [
    ["foo.example.com", "foo.example.com"],
    ["bar.example.com", "*.example.com"],
    ["default.example.org", "default.example.org"],
  ];
  // Several handshakes per name, so both workers' TLS listeners answer some.
  for (let round = 0; round < 3; round++) {
    for (const [serverName, commonName] of expected) {
      const peer = await peerCertificate(served.port, serverName, served.caFile);
      assertEquals(peer, { verified: true, commonName }, serverName);
    }
  }
});

Deno.test("two workers share an HTTPS port: a request for another listener's host gets 421 on either worker, and the connection keeps serving its own", async () => {
  await using ca = await createTestCa();
  await using served = await startPool(ca, await threeListeners(ca));
  // 421s are answered before the data-plane handler: only the 200s are counted.
  const connections = await untilEveryWorkerServed(served.pool, async () => {
    const [misdirected, own] = await freshExchange(
      served.port,
      ca.certPem,
      "foo.example.com",
      ["bar.example.com", "foo.example.com"],
    );
    assertEquals(misdirected.status, 421);
    assertEquals(own.status, 200);
    assertEquals(header(echoOf(own.body), "x-listener"), "exact");
  });
  await until("every routed request counted", () => total(served.pool) === connections);
});

Deno.test("two workers share an HTTPS port: a rotated certificate is served by every worker", async () => {
  await using ca = await createTestCa();
  await using rotatedCa = await createTestCa("serval rotated CA");
  const listeners = await threeListeners(ca);
  await using served = await startPool(ca, listeners);
  const [first] = await freshExchange(served.port, ca.certPem, "foo.example.com", [
    "foo.example.com",
  ]);
  assertEquals(first.status, 200);
  await until("the first request counted", () => total(served.pool) === 1);

  // Only a worker that rotated can pass verification against the new CA alone.
  const rotated = await rotatedCa.issue(["foo.example.com"]);
  await served.apply(listeners.map((l) => l.name === "exact" ? { ...l, certificate: rotated } : l));
  const before = counts(served.pool);
  // Every handshake verifies against the new CA alone, until each worker has served some.
  const connections = await untilEveryWorkerServed(served.pool, async () => {
    const [res] = await freshExchange(served.port, rotatedCa.certPem, "foo.example.com", [
      "foo.example.com",
    ]);
    assertEquals(res.status, 200);
  }, before);
  await until("every request counted", () => total(served.pool) === 1 + connections);
});
