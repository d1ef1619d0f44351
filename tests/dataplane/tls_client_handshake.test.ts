/**
 * HTTPS ports whose every listener validates client certificates
 * (`client-handshake`, `tls_sni_choice.ts`): the public `node:tls` server
 * asks every handshake for a certificate and verifies it against the CA
 * bundle of the listener the SNI selects, without the ClientHello relay.
 * Through the real listener manager, router and handler, with curl as the
 * client: who gets in under each mode, one CA per listener, 421, a mode
 * change, refusals counted.
 */
import { assert, assertEquals, assertFalse } from "@std/assert";
import { Socket } from "node:net";
import type { ClientValidationConfig } from "../../src/model/config.ts";
import { createTestCa, type TestCa } from "../_helpers/certs.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { sniCertificatesFor } from "../../src/dataplane/sni.ts";
import { ConnectionBudget } from "../../src/dataplane/connection_server.ts";
import { serveTlsPort } from "../../src/dataplane/tls_port_server.ts";
import type { ClientCertificateDemand } from "../../src/dataplane/tls_port_types.ts";
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

/** One request with SNI `host` (and Host `hostHeader`); the listener that served it, its status, or why not. */
async function get(h: Harness, host: string, identity: string[], extra: string[] = []) {
  const result = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: [host],
    args: [...identity, ...extra, "-m", "20", "-w", "\n%{http_code}", `https://${host}:PORT/`],
  });
  if (!result.success) return { ok: false, error: result.stderr };
  const status = result.stdout.slice(result.stdout.lastIndexOf("\n") + 1);
  if (status !== "200") return { ok: true, status };
  const body = result.stdout.slice(0, result.stdout.lastIndexOf("\n"));
  return { ok: true, listener: header(echoOf(body), "x-listener") };
}

/** `a.example.com` validating with `caA`, and a default listener validating with `caB`. */
async function twoValidating(
  ca: TestCa,
  caA: TestCa,
  caB: TestCa,
  modeB: ClientValidationConfig["mode"] = "AllowValidOnly",
): Promise<TestListener[]> {
  return [
    {
      name: "a",
      hostname: "a.example.com",
      certificate: await ca.issue(["a.example.com"]),
      clientValidation: validation(caA),
    },
    {
      name: "b",
      hostname: null,
      certificate: await ca.issue(["b.example.com"]),
      clientValidation: validation(caB, modeB),
    },
  ];
}

Deno.test("a port whose every listener validates is served by its public TLS server: each listener takes only its own CA's clients, over HTTP/1.1 and HTTP/2", async () => {
  // Which sockets turned Nagle off: the public server's accepted sockets
  // (local port: the public port) and, were there a relay, the loopback ones.
  const original = Socket.prototype.setNoDelay;
  const noDelay: Array<number | undefined> = [];
  Socket.prototype.setNoDelay = function (this: Socket, on?: boolean) {
    if (on !== false) noDelay.push(this.localPort);
    return original.call(this, on);
  };
  try {
    await using caA = await createTestCa("clients of a");
    await using caB = await createTestCa("clients of b");
    await using h = await startHarness((ca) => twoValidating(ca, caA, caB));
    const ofA = await clientIdentity(h, caA, "client-of-a", "client-of-a");
    const ofB = await clientIdentity(h, caB, "client-of-b", "client-of-b");
    const expired = await clientIdentity(h, caA, "expired-of-a", "expired-of-a", { expired: true });
    assertEquals(await get(h, "a.example.com", ofA, ["--http1.1"]), { ok: true, listener: "a" });
    assertEquals(await get(h, "b.example.com", ofB, ["--http1.1"]), { ok: true, listener: "b" });
    assertEquals(await get(h, "a.example.com", ofA, ["--http2"]), { ok: true, listener: "a" });
    assertEquals(await get(h, "b.example.com", ofB, ["--http2"]), { ok: true, listener: "b" });
    for (const [host, identity] of [["a", ofB], ["b", ofA], ["a", []], ["a", expired]] as const) {
      const result = await get(h, `${host}.example.com`, [...identity]);
      assertFalse(result.ok, `${host} served ${JSON.stringify(identity)}`);
    }
    assert(noDelay.length > 0);
    assert(noDelay.every((port) => port === h.port), JSON.stringify(noDelay));
  } finally {
    Socket.prototype.setNoDelay = original;
  }
});

Deno.test("on a port of validating listeners a validated connection gets 421 for another listener's host, kept alive between requests", async () => {
  await using caA = await createTestCa("clients of a");
  await using caB = await createTestCa("clients of b");
  await using h = await startHarness((ca) => twoValidating(ca, caA, caB));
  const ofA = await clientIdentity(h, caA, "kept-of-a", "kept-of-a");
  const url = "https://a.example.com:PORT/";
  const kept = await curlHttps({
    port: h.port,
    caFile: h.caFile,
    names: ["a.example.com"],
    args: [...ofA, "--http1.1", "-w", "\n%{num_connects} %{http_code}\n", url, url],
  });
  assert(kept.success, kept.stderr);
  const lines = kept.stdout.split("\n").filter((l) => /^\d+ \d+$/.test(l));
  assertEquals(lines, ["1 200", "0 200"]);
  // The real client's address reaches the backend.
  const echoed = kept.stdout.split("\n").filter((l) => l.startsWith("{")).map(echoOf);
  assertEquals(header(echoed[0], "x-forwarded-for"), "127.0.0.1");
  for (const version of ["--http1.1", "--http2"]) {
    assertEquals(
      await get(h, "a.example.com", ofA, [version, "-H", "host: b.example.com"]),
      { ok: true, status: "421" },
    );
  }
});

Deno.test("on a port of validating listeners AllowInsecureFallback serves anyone while an AllowValidOnly listener beside it still refuses", async () => {
  await using caA = await createTestCa("clients of a");
  await using caB = await createTestCa("clients of b");
  await using h = await startHarness((ca) => twoValidating(ca, caA, caB, "AllowInsecureFallback"));
  const ofA = await clientIdentity(h, caA, "mixed-of-a", "mixed-of-a");
  for (const identity of [[], ofA]) {
    assertEquals(await get(h, "b.example.com", identity), { ok: true, listener: "b" });
  }
  assertEquals(await get(h, "a.example.com", ofA), { ok: true, listener: "a" });
  assertFalse((await get(h, "a.example.com", [])).ok);
  await waitFor(
    "the refused client logged",
    () => h.logs.some((l) => l.includes("Refused a client without a valid certificate")),
  );
});

Deno.test("a port of validating listeners follows a change of mode and of CA bundle", async () => {
  await using caA = await createTestCa("clients of a");
  await using caB = await createTestCa("clients of b");
  let built: TestListener[] = [];
  await using h = await startHarness(async (ca) => built = await twoValidating(ca, caA, caB));
  const ofA = await clientIdentity(h, caA, "changing-of-a", "changing-of-a");
  const ofB = await clientIdentity(h, caB, "changing-of-b", "changing-of-b");
  assertFalse((await get(h, "b.example.com", [])).ok);
  // AllowInsecureFallback on both: the port's server no longer requires a certificate.
  await h.apply(
    built.map((l) => ({ ...l, clientValidation: validation(caA, "AllowInsecureFallback") })),
  );
  assertEquals(await get(h, "b.example.com", []), { ok: true, listener: "b" });
  // Back to AllowValidOnly, with b now taking a's clients.
  await h.apply([built[0], { ...built[1], clientValidation: validation(caA) }]);
  assertFalse((await get(h, "b.example.com", [])).ok);
  assertFalse((await get(h, "b.example.com", ofB)).ok);
  assertEquals(await get(h, "b.example.com", ofA), { ok: true, listener: "b" });
  // One listener without validation joins: the port goes back to the relay, and both kinds serve.
  const open: TestListener = {
    name: "open",
    hostname: "open.example.com",
    certificate: await h.ca.issue(["open.example.com"]),
  };
  await h.apply([built[0], { ...built[1], clientValidation: validation(caA) }, open]);
  assertEquals(await get(h, "open.example.com", []), { ok: true, listener: "open" });
  assertEquals(await get(h, "a.example.com", ofA), { ok: true, listener: "a" });
  assertFalse((await get(h, "a.example.com", [])).ok);
});

for (const demand of ["required", "requested"] satisfies ClientCertificateDemand[]) {
  Deno.test(`a port of validating listeners (${demand}) counts a refused client where refused connections are counted`, async () => {
    await using ca = await createTestCa();
    await using clientsCa = await createTestCa("clients CA");
    const [a] = await twoValidating(ca, clientsCa, clientsCa);
    const { config, certificates } = httpsConfig(0, 1, [a]);
    const rejected: string[] = [];
    const server = serveTlsPort({
      budget: new ConnectionBudget(0, (reason) => rejected.push(reason)),
      hostname: "127.0.0.1",
      port: 0,
      certificates: sniCertificatesFor(config.ports[0], certificates),
      getTable: () => undefined,
      handler: () => new Response("served"),
      sniSource: "client-handshake",
      clientCertificates: demand,
    });
    try {
      await server.ready;
      const result = await curlHttps({
        port: server.addr.port,
        caFile: `${ca.dir}/ca.crt`,
        names: ["a.example.com"],
        args: ["-m", "20", "https://a.example.com:PORT/"],
      });
      assertFalse(result.success, result.stdout);
      await waitFor("the refusal counted", () => rejected.includes("client_certificate"));
      assertEquals(rejected, ["client_certificate"]);
    } finally {
      await server.shutdown();
    }
  });
}
