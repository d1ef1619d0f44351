/**
 * HTTPS ports through the real listener manager, router and data-plane
 * handler, over real TLS with verification on: certificate per SNI, HTTP/2,
 * 421 for misdirected requests, rotation under load, graceful shutdown, and
 * private keys kept out of logs.
 */
import { assert, assertEquals, assertFalse, assertMatch } from "@std/assert";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { serveTlsPort } from "../../src/dataplane/tls_port_server.ts";
import type { SniSource } from "../../src/dataplane/tls_port_types.ts";
import { sniCertificatesFor } from "../../src/dataplane/sni.ts";
import { createTestCa, type TestCa, type TestCertificate } from "../_helpers/certs.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { curlHttps, httpOverTls, peerCertificate } from "./tls_test_client.ts";
import {
  echoOf,
  header,
  httpsConfig,
  startHarness,
  type TestListener,
  threeListeners,
} from "./_tls_harness.ts";

Deno.test("each server name gets its listener's certificate: exact, then wildcard, then default", async () => {
  await using h = await startHarness(threeListeners);
  assertEquals(await peerCertificate(h.port, "foo.example.com", h.caFile), {
    verified: true,
    commonName: "foo.example.com",
  });
  assertEquals(await peerCertificate(h.port, "bar.example.com", h.caFile), {
    verified: true,
    commonName: "*.example.com",
  });
  assertEquals(
    (await peerCertificate(h.port, "other.org", h.caFile)).commonName,
    "default.example.org",
  );
  assertEquals((await peerCertificate(h.port, null, h.caFile)).commonName, "default.example.org");
});

Deno.test("without a listener lacking a hostname, an unknown server name fails the handshake", async () => {
  await using h = await startHarness(async (ca) => (await threeListeners(ca)).slice(0, 2));
  const unknown = await peerCertificate(h.port, "other.org", h.caFile);
  assertEquals(unknown, { verified: false, commonName: undefined });
  assert((await peerCertificate(h.port, "foo.example.com", h.caFile)).verified);
});

Deno.test("a port whose one listener has no hostname serves its certificate to every server name and to clients without SNI", async () => {
  for (const sniSource of ["first-request", "client-hello"] as const) {
    await using h = await startHarness(
      async (ca) => (await threeListeners(ca)).filter((l) => l.hostname === null),
      { sniSource },
    );
    for (const name of ["foo.example.com", "other.org", null]) {
      const seen = await peerCertificate(h.port, name, h.caFile);
      assertEquals(seen.commonName, "default.example.org", `${sniSource}, SNI ${name}`);
    }
  }
});

Deno.test("a default listener whose key cannot be parsed still binds its port, and its handshakes fail", async () => {
  await using h = await startHarness(async (ca) => {
    const broken = await ca.issue(["foo.example.com"]);
    const keyPem = broken.keyPem.replace(/\n([A-Za-z0-9+/]{20})/, "\nAAAAAAAAAAAAAAAAAAAA");
    return [{ name: "default", hostname: null, certificate: { ...broken, keyPem } }];
  });
  assertFalse((await peerCertificate(h.port, "foo.example.com", h.caFile)).verified);
});

Deno.test("HTTP/2 is negotiated by ALPN and the backend sees X-Forwarded-Proto https", async () => {
  await using h = await startHarness(threeListeners);
  const result = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["foo.example.com"],
    args: ["--http2", "-w", "\n%{http_version}", "https://foo.example.com:PORT/x"],
  });
  assert(result.success, result.stderr);
  const cut = result.stdout.lastIndexOf("\n");
  assertEquals(result.stdout.slice(cut + 1), "2");
  const record = echoOf(result.stdout.slice(0, cut));
  assertEquals(header(record, "x-forwarded-proto"), "https");
  assertEquals(header(record, "x-listener"), "exact");
});

Deno.test("a request for another listener's host on a reused HTTP/1.1 connection gets 421", async () => {
  await using h = await startHarness(threeListeners);
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: h.port,
    serverName: "bar.example.com",
    caCerts: [h.ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
  try {
    const first = await httpOverTls(conn, { host: "bar.example.com", path: "/" });
    assertEquals([first.status, header(echoOf(first.body), "x-listener")], [200, "wild"]);
    // foo.example.com has its own, more specific listener.
    assertEquals((await httpOverTls(conn, { host: "foo.example.com", path: "/" })).status, 421);
    // other.org falls to the default listener, which is another listener too.
    assertEquals((await httpOverTls(conn, { host: "other.org", path: "/" })).status, 421);
    // The connection's own listener still serves its hosts.
    const again = await httpOverTls(conn, { host: "baz.example.com:443", path: "/" });
    assertEquals([again.status, header(echoOf(again.body), "x-listener")], [200, "wild"]);
  } finally {
    conn.close();
  }
});

Deno.test("a coalesced HTTP/2 request for a more specific listener gets 421", async () => {
  await using h = await startHarness(threeListeners);
  // Two transfers on one connection (curl reuses it across --next); the
  // second carries another :authority, as a browser coalescing would.
  const result = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["bar.example.com"],
    args: [
      "--http2",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{num_connects}\n",
      "https://bar.example.com:PORT/",
      // --next resets options; the same TLS settings keep the connection reusable.
      "--next",
      "--cacert",
      h.caFile,
      "--http2",
      "-H",
      "Host: foo.example.com",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{num_connects}\n",
      "https://bar.example.com:PORT/",
    ],
  });
  assertEquals(result.stdout.trim().split("\n"), ["200 1", "421 0"]);
});

Deno.test("a host no listener matches gets 404 on a connection of another listener", async () => {
  await using h = await startHarness(async (ca) => (await threeListeners(ca)).slice(0, 2));
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: h.port,
    serverName: "bar.example.com",
    caCerts: [h.ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
  try {
    assertEquals((await httpOverTls(conn, { host: "bar.example.com", path: "/" })).status, 200);
    assertEquals((await httpOverTls(conn, { host: "nothing.org", path: "/" })).status, 404);
  } finally {
    conn.close();
  }
});

/**
 * Linux resets connections still queued on a `SO_REUSEPORT` listener when it
 * closes, unless `net.ipv4.tcp_migrate_req=1` hands them to the new one.
 */
async function connectionsMigrate(): Promise<boolean> {
  const value = await Deno.readTextFile("/proc/sys/net/ipv4/tcp_migrate_req").catch(() => "0");
  return value.trim() === "1";
}

async function rotationUnderLoad(sniSource: SniSource) {
  let generation = 0;
  const issueDefault = async (ca: TestCa): Promise<TestListener[]> => [{
    name: "default",
    hostname: null,
    certificate: await ca.issue(["127.0.0.1"], { commonName: `rotation-${generation}` }),
  }];
  await using h = await startHarness(issueDefault, { sniSource });
  const url = `https://127.0.0.1:${h.port}/`;
  const keepAlive = Deno.createHttpClient({ caCerts: [h.ca.certPem] });
  let stop = false;
  const ok = { keepAlive: 0, fresh: 0 };
  const failures = { keepAlive: [] as string[], fresh: [] as string[] };
  const request = async (client: Deno.HttpClient, kind: "keepAlive" | "fresh") => {
    try {
      const response = await fetch(url, { client });
      await response.body?.cancel();
      if (response.status === 200) ok[kind]++;
      else failures[kind].push(`status ${response.status}`);
    } catch (error) {
      failures[kind].push(
        `${(error as Error).message}: ${((error as Error).cause as Error)?.message}`,
      );
    }
  };
  // The clients run until every rotation has happened with both kinds of
  // request going on around it, however long that takes on a busy machine.
  const workers = [
    ...Array.from({ length: 3 }, async () => {
      while (!stop) await request(keepAlive, "keepAlive");
    }),
    ...Array.from({ length: 2 }, async () => {
      while (!stop) {
        // A fresh client: a new TCP connection and TLS handshake per request.
        using fresh = Deno.createHttpClient({ caCerts: [h.ca.certPem], poolMaxIdlePerHost: 0 });
        await request(fresh, "fresh");
      }
    }),
  ];
  /** Both kinds of request completed since the last call: the load spans each rotation. */
  const progress = async (what: string) => {
    const before = { ...ok };
    await waitFor(
      `requests of both kinds ${what}`,
      () => ok.keepAlive >= before.keepAlive + 3 && ok.fresh >= before.fresh + 2,
    );
  };
  try {
    for (generation = 1; generation <= 4; generation++) {
      await progress(`before rotation ${generation}`);
      await h.apply(await issueDefault(h.ca));
    }
    await progress("after the last rotation");
  } finally {
    stop = true;
    await Promise.all(workers);
    keepAlive.close();
  }
  assertEquals(failures.keepAlive, []);
  if (sniSource !== "first-request" || await connectionsMigrate()) {
    // The public socket never closes: relays reset on the old loopback
    // listener retry, and the `node:tls` server just asks for the new choice.
    assertEquals(failures.fresh, []);
  } else {
    // Only connects queued on the closing listener may fail, as resets, and few.
    for (const failure of failures.fresh) {
      assertMatch(failure, /tcp connect error: Connection reset/);
    }
    assert(failures.fresh.length <= 8, `${failures.fresh.length} resets over 4 rotations`);
  }
  assertEquals((await peerCertificate(h.port, null, h.caFile)).commonName, "rotation-4");
}

Deno.test("certificates rotate under load behind the ClientHello relay: no request fails, not even a new connection's, and new handshakes get the new certificate", () =>
  rotationUnderLoad("client-hello"));

Deno.test("certificates rotate under load on a public node:tls server (handshake): no request fails, not even a new connection's, and new handshakes get the new certificate", () =>
  rotationUnderLoad("handshake"));

Deno.test("certificates rotate under load on a public TLS listener: no request on an open connection fails, and new handshakes get the new certificate", () =>
  rotationUnderLoad("first-request"));

Deno.test("shutdown lets an in-flight HTTPS request finish", async () => {
  await using h = await startHarness(threeListeners);
  const client = Deno.createHttpClient({ caCerts: [h.ca.certPem] });
  const pending = fetch(`https://127.0.0.1:${h.port}/`, {
    client,
    headers: { "x-echo-action": "hold" },
  });
  await waitFor("the request held at the backend", () => h.backend.held() === 1);
  const drained = h.manager.shutdown({ graceMs: 60_000 });
  h.backend.release();
  const response = await pending;
  assertEquals(response.status, 200);
  await response.body?.cancel();
  assert(await drained);
  client.close();
});

Deno.test("private keys never reach the logs, even when a key is broken or a handshake fails", async () => {
  const keys: string[] = [];
  await using h = await startHarness(async (ca) => {
    const good = await ca.issue(["foo.example.com"]);
    const broken = await ca.issue(["bad.example.com"]);
    // A key whose base64 body is damaged: the handshake for it fails inside Deno.
    const damaged = broken.keyPem.replace(/\n([A-Za-z0-9+/]{20})/, "\nAAAAAAAAAAAAAAAAAAAA");
    keys.push(good.keyPem, damaged);
    return [
      { name: "exact", hostname: "foo.example.com", certificate: good },
      { name: "bad", hostname: "bad.example.com", certificate: { ...broken, keyPem: damaged } },
    ];
  });
  assert((await peerCertificate(h.port, "foo.example.com", h.caFile)).verified);
  assertFalse((await peerCertificate(h.port, "bad.example.com", h.caFile)).verified);
  assertFalse((await peerCertificate(h.port, "unknown.example.com", h.caFile)).verified);
  await waitFor(
    "both handshake failures logged",
    () => h.logs.filter((l) => l.includes("TLS connection ended with an error")).length >= 2,
  );
  const logs = h.logs.join("\n");
  const keyLines = keys.flatMap((k) => k.split("\n"))
    .filter((l) => l.length > 16 && !l.startsWith("-----"));
  assert(keyLines.length >= 4);
  for (const line of keyLines) {
    assertFalse(logs.includes(line), "a private key line reached the logs");
  }
  assertFalse(logs.includes("PRIVATE KEY"));
});

Deno.test("without SO_REUSEPORT, rotation rebinds the port and open connections keep working", async () => {
  await using ca = await createTestCa();
  const port = freePort();
  const first = await ca.issue(["foo.example.com"], { commonName: "first" });
  const second = await ca.issue(["foo.example.com"], { commonName: "second" });
  const choice = (certificate: TestCertificate) => {
    const { config, certificates } = httpsConfig(port, 1, [
      { name: "exact", hostname: "foo.example.com", certificate },
    ]);
    return sniCertificatesFor(config.ports[0], certificates);
  };
  const server = serveTlsPort({
    hostname: "127.0.0.1",
    port,
    certificates: choice(first),
    getTable: () => undefined,
    handler: () => new Response("served"),
    reusePort: false,
    sniSource: "first-request",
  });
  try {
    const conn = await connectTlsWithServerName({
      hostname: "127.0.0.1",
      port,
      serverName: "foo.example.com",
      caCerts: [ca.certPem],
      alpnProtocols: ["http/1.1"],
    });
    assertEquals((await httpOverTls(conn, { host: "foo.example.com", path: "/" })).body, "served");
    await server.update(choice(second));
    await server.update(choice(second)); // same fingerprint: no rotation
    assertEquals(server.generation, 2);
    assertEquals((await httpOverTls(conn, { host: "foo.example.com", path: "/" })).body, "served");
    conn.close();
    const caFile = `${ca.dir}/ca.crt`;
    assertEquals((await peerCertificate(port, "foo.example.com", caFile)).commonName, "second");
  } finally {
    await server.shutdown();
  }
});
