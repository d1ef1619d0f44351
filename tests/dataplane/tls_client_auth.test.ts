/**
 * Client-certificate validation on HTTPS listeners through the real listener
 * manager, router and data-plane handler, with curl as the client: who gets
 * in under `AllowValidOnly` and `AllowInsecureFallback`, listeners without
 * validation on the same port, 421 between the two, and CA rotation.
 */
import { assert, assertEquals, assertFalse } from "@std/assert";
import { Socket } from "node:net";
import type { ClientValidationConfig } from "../../src/model/config.ts";
import { createTestCa, type TestCa } from "../_helpers/certs.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { sniCertificatesFor } from "../../src/dataplane/sni.ts";
import { ConnectionBudget } from "../../src/dataplane/connection_server.ts";
import { serveTlsPort } from "../../src/dataplane/tls_port_server.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { curlHttps } from "./tls_test_client.ts";
import {
  clientIdentity,
  echoOf,
  type Harness,
  header,
  httpsConfig,
  startHarness,
  type TestListener,
  validation,
} from "./_tls_harness.ts";

/** One request for `host`, with the identity's arguments; the listener that served it, or why not. */
async function get(h: Harness, host: string, identity: string[], extra: string[] = []) {
  const result = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: [host],
    args: [...identity, ...extra, "-m", "20", `https://${host}:PORT/`],
  });
  if (!result.success) return { ok: false, error: result.stderr };
  return { ok: true, listener: header(echoOf(result.stdout), "x-listener") };
}

/** `mtls.example.com` validating with `clientsCa`, and a default listener without validation. */
function listeners(
  ca: TestCa,
  clientsCa: TestCa,
  mode?: ClientValidationConfig["mode"],
): Promise<TestListener[]> {
  return (async () => [
    {
      name: "mtls",
      hostname: "mtls.example.com",
      certificate: await ca.issue(["mtls.example.com"]),
      clientValidation: validation(clientsCa, mode),
    },
    { name: "open", hostname: null, certificate: await ca.issue(["open.example.com"]) },
  ])();
}

Deno.test("a validating listener serves a client whose certificate its CA signed, over HTTP/1.1 and HTTP/2", async () => {
  await using clientsCa = await createTestCa("clients CA");
  await using h = await startHarness((ca) => listeners(ca, clientsCa));
  const id = await clientIdentity(h, clientsCa, "good", "good client");
  assertEquals(await get(h, "mtls.example.com", id, ["--http1.1"]), { ok: true, listener: "mtls" });
  const h2 = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["mtls.example.com"],
    args: [...id, "--http2", "-w", "\n%{http_version}", "https://mtls.example.com:PORT/"],
  });
  assert(h2.success, h2.stderr);
  assertEquals(h2.stdout.slice(h2.stdout.lastIndexOf("\n") + 1), "2");
});

Deno.test("a validating listener's server has Nagle's algorithm off, so an answer written in pieces is not held for the front door's delayed ACK", async () => {
  // No socket reads TCP_NODELAY back: record the sockets that turned it on.
  // On this port only the client-certificate server's sockets are node:net's.
  const original = Socket.prototype.setNoDelay;
  const noDelay: Array<{ local?: number; remote?: string }> = [];
  Socket.prototype.setNoDelay = function (this: Socket, on?: boolean) {
    if (on !== false) noDelay.push({ local: this.localPort, remote: this.remoteAddress });
    return original.call(this, on);
  };
  try {
    await using clientsCa = await createTestCa("clients CA");
    await using h = await startHarness((ca) => listeners(ca, clientsCa));
    const id = await clientIdentity(h, clientsCa, "good", "good client");
    assertEquals(await get(h, "mtls.example.com", id), { ok: true, listener: "mtls" });
    assertEquals(noDelay.length, 1, JSON.stringify(noDelay));
    // The loopback connection from the front door, not the public socket.
    assertEquals(noDelay[0].remote, "127.0.0.1");
    assert(noDelay[0].local !== h.port);
  } finally {
    Socket.prototype.setNoDelay = original;
  }
});

Deno.test("AllowValidOnly refuses clients without a certificate, with another CA's or an expired one", async () => {
  await using clientsCa = await createTestCa("clients CA");
  await using otherCa = await createTestCa("someone else's CA");
  await using h = await startHarness((ca) => listeners(ca, clientsCa));
  const stranger = await clientIdentity(h, otherCa, "stranger", "stranger");
  const expired = await clientIdentity(h, clientsCa, "expired", "expired client", {
    expired: true,
  });
  for (const identity of [[], stranger, expired]) {
    const result = await get(h, "mtls.example.com", identity);
    assertFalse(result.ok, `served ${JSON.stringify(identity)}`);
  }
  // Refused by the client-certificate server, not lost on the way.
  const refusals = () =>
    h.logs.filter((l) => l.includes("Client-certificate handshake failed")).length;
  await waitFor("three refused handshakes", () => refusals() === 3);
  // The listener without validation on the same port asks nothing.
  assertEquals(await get(h, "open.example.com", []), { ok: true, listener: "open" });
});

Deno.test("AllowInsecureFallback serves clients without a certificate or with another CA's", async () => {
  await using clientsCa = await createTestCa("clients CA");
  await using otherCa = await createTestCa("someone else's CA");
  await using h = await startHarness((ca) => listeners(ca, clientsCa, "AllowInsecureFallback"));
  const good = await clientIdentity(h, clientsCa, "good", "good client");
  const stranger = await clientIdentity(h, otherCa, "stranger", "stranger");
  for (const identity of [good, [], stranger]) {
    assertEquals(await get(h, "mtls.example.com", identity), { ok: true, listener: "mtls" });
  }
});

Deno.test("a connection that skipped validation gets 421 for the validating listener's host", async () => {
  await using clientsCa = await createTestCa("clients CA");
  await using h = await startHarness((ca) => listeners(ca, clientsCa));
  // SNI open.example.com (the default listener, no validation), Host mtls.example.com.
  const result = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["open.example.com"],
    args: [
      "-H",
      "host: mtls.example.com",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "https://open.example.com:PORT/",
    ],
  });
  assert(result.success, result.stderr);
  assertEquals(result.stdout, "421");
});

Deno.test("a new CA bundle applies to new connections: the old CA's clients are refused, the new one's served", async () => {
  await using firstCa = await createTestCa("first clients CA");
  await using secondCa = await createTestCa("second clients CA");
  let built: TestListener[] = [];
  await using h = await startHarness(async (ca) => built = await listeners(ca, firstCa));
  const first = await clientIdentity(h, firstCa, "first", "first client");
  const second = await clientIdentity(h, secondCa, "second", "second client");
  assertEquals(await get(h, "mtls.example.com", first), { ok: true, listener: "mtls" });
  assertFalse((await get(h, "mtls.example.com", second)).ok);
  await h.apply([{ ...built[0], clientValidation: validation(secondCa) }, built[1]]);
  assertFalse((await get(h, "mtls.example.com", first)).ok);
  assertEquals(await get(h, "mtls.example.com", second), { ok: true, listener: "mtls" });
  // Validation turned off: the listener is served by Deno's TLS listener again.
  await h.apply([{ ...built[0], clientValidation: undefined }, built[1]]);
  assertEquals(await get(h, "mtls.example.com", []), { ok: true, listener: "mtls" });
});

/** The ClientHello a TLS client sends for `serverName`, caught by a plain listener. */
async function clientHelloFor(serverName: string, caPem: string): Promise<Uint8Array> {
  using catcher = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dialing = connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: (catcher.addr as Deno.NetAddr).port,
    serverName,
    caCerts: [caPem],
  }).then((conn) => conn.close(), () => {});
  const conn = await catcher.accept();
  const buffer = new Uint8Array(16384);
  const n = await conn.read(buffer);
  conn.close();
  await dialing;
  return buffer.slice(0, n ?? 0);
}

Deno.test("a client that stalls in the middle of a client-certificate handshake is closed at the handshake timeout", async () => {
  await using ca = await createTestCa();
  await using clientsCa = await createTestCa("clients CA");
  const [mtls] = await listeners(ca, clientsCa);
  const { config, certificates } = httpsConfig(0, 1, [mtls]);
  const rejected: string[] = [];
  const server = serveTlsPort({
    budget: new ConnectionBudget(0, (reason) => rejected.push(reason)),
    hostname: "127.0.0.1",
    port: 0,
    certificates: sniCertificatesFor(config.ports[0], certificates),
    getTable: () => undefined,
    handler: () => new Response("served"),
    clientAuthHandshakeTimeoutMs: 200,
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    // The ClientHello, and then nothing: the server answers and waits.
    await conn.write(await clientHelloFor("mtls.example.com", ca.certPem));
    const buffer = new Uint8Array(65536);
    let answered = 0;
    // A deadline far past the timeout, so a regression fails instead of hanging.
    let gaveUp = false;
    const deadline = setTimeout(() => {
      gaveUp = true;
      conn.close();
    }, 30_000);
    try {
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) answered += n;
      conn.close();
    } catch (error) {
      if (!gaveUp) throw error;
    } finally {
      clearTimeout(deadline);
    }
    assertFalse(gaveUp, "the stalled handshake was still open after 30 s");
    assert(answered > 0, "the server never answered the ClientHello");
    // Counted where refused connections are (serval_client_connections_rejected_total).
    assertEquals(rejected, ["client_certificate"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("with the first-request SNI mode a validating listener's handshakes fail instead of skipping validation", async () => {
  await using clientsCa = await createTestCa("clients CA");
  await using h = await startHarness((ca) => listeners(ca, clientsCa), {
    sniSource: "first-request",
  });
  const id = await clientIdentity(h, clientsCa, "good", "good client");
  assertFalse((await get(h, "mtls.example.com", id)).ok);
  assertFalse((await get(h, "mtls.example.com", [])).ok);
  assertEquals(await get(h, "open.example.com", []), { ok: true, listener: "open" });
});

Deno.test("a validated HTTP/1.1 connection is kept alive across requests and gets 421 for another listener's host", async () => {
  await using clientsCa = await createTestCa("clients CA");
  await using h = await startHarness((ca) => listeners(ca, clientsCa));
  const id = await clientIdentity(h, clientsCa, "kept", "kept client");
  const url = "https://mtls.example.com:PORT/";
  const result = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["mtls.example.com"],
    args: [...id, "--http1.1", "-w", "\n%{num_connects} %{http_code}\n", url, url, url],
  });
  assert(result.success, result.stderr);
  const lines = result.stdout.split("\n").filter((l) => /^\d+ \d+$/.test(l));
  // One connection for three requests: the second and third made none.
  assertEquals(lines, ["1 200", "0 200", "0 200"]);
  const echoed = result.stdout.split("\n").filter((l) => l.startsWith("{")).map(echoOf);
  assertEquals(echoed.map((e) => header(e, "x-listener")), ["mtls", "mtls", "mtls"]);
  // The real client's address, not the relay's socket.
  assertEquals(header(echoed[0], "x-forwarded-for"), "127.0.0.1");
  const misdirected = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["mtls.example.com"],
    args: [
      ...id,
      "--http1.1",
      "-H",
      "host: open.example.com",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      url,
    ],
  });
  assert(misdirected.success, misdirected.stderr);
  assertEquals(misdirected.stdout, "421");
});
