import { assert, assertEquals, assertRejects } from "@std/assert";
import { createTestCa } from "../_helpers/certs.ts";
import {
  peerSubjectAltNames,
  sanMatches,
  startBackendTls,
} from "../../src/dataplane/upstream_tls.ts";
import { UpstreamError } from "../../src/dataplane/upstream_types.ts";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("a Hostname subjectAltName matches a DNS name exactly or through one wildcard label", () => {
  const host = (value: string) => ({ type: "Hostname" as const, value });
  assert(sanMatches(host("api.example.com"), "DNS:api.example.com"));
  assert(sanMatches(host("API.example.com"), "DNS:api.Example.com"));
  assert(sanMatches(host("api.example.com"), "DNS:*.example.com"));
  assert(!sanMatches(host("a.api.example.com"), "DNS:*.example.com"), "one label only");
  assert(!sanMatches(host("example.com"), "DNS:*.example.com"));
  assert(!sanMatches(host("api.example.com"), "URI:api.example.com"));
});

Deno.test("a URI subjectAltName matches the URI entry exactly", () => {
  const uri = { type: "URI" as const, value: "spiffe://cluster.local/ns/app/sa/api" };
  assert(sanMatches(uri, "URI:spiffe://cluster.local/ns/app/sa/api"));
  assert(!sanMatches(uri, "URI:spiffe://cluster.local/ns/app/sa/api2"));
  assert(!sanMatches(uri, "DNS:spiffe://cluster.local/ns/app/sa/api"));
});

function tlsServer(certPem: string, keyPem: string) {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: certPem, key: keyPem });
  const accepted = (async () => {
    for await (const conn of listener) {
      conn.handshake().catch(() => {}).finally(() => conn.close());
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepted.catch(() => {});
    },
  };
}

Deno.test("startBackendTls verifies the chain and the name, or the subjectAltNames instead", async () => {
  await using ca = await createTestCa();
  const leaf = await ca.issue(["backend.example.com", "*.wild.example.com"]);
  const server = tlsServer(leaf.certPem, leaf.keyPem);
  const dial = () => Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const policy = {
    policy: "backendtlspolicy/app/p",
    serverName: "backend.example.com",
    caCertificates: [ca.certPem],
  };
  try {
    const ok = await startBackendTls(await dial(), policy, "test");
    assertEquals(peerSubjectAltNames(ok), ["DNS:backend.example.com", "DNS:*.wild.example.com"]);
    ok.close();
    // The well-known roots do not know the test CA.
    const roots = { ...policy, caCertificates: undefined };
    await assertRejects(() => dial().then((c) => startBackendTls(c, roots, "test")), UpstreamError);
    const wrongName = { ...policy, serverName: "other.example.com" };
    const e = await assertRejects(() => dial().then((c) => startBackendTls(c, wrongName, "test")));
    assert(e instanceof UpstreamError && e.kind === "connect", String(e));
    // With subjectAltNames the SNI may be any name; the names decide.
    const sans = {
      ...wrongName,
      subjectAltNames: [{ type: "Hostname" as const, value: "x.wild.example.com" }],
    };
    (await dial().then((c) => startBackendTls(c, sans, "test"))).close();
    const noSan = { ...sans, subjectAltNames: [{ type: "Hostname" as const, value: "nope.test" }] };
    await assertRejects(() => dial().then((c) => startBackendTls(c, noSan, "test")), UpstreamError);
    const invalid = { ...policy, invalid: "no valid CA" };
    await assertRejects(
      () => dial().then((c) => startBackendTls(c, invalid, "test")),
      UpstreamError,
      "no valid CA",
    );
  } finally {
    await server.close();
  }
});

Deno.test("a backend that never answers the handshake is cut off by the caller's signal", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // accepts, then stays silent
  })();
  try {
    const tcp = await Deno.connect({
      hostname: "127.0.0.1",
      port: (listener.addr as Deno.NetAddr).port,
    });
    const controller = new AbortController();
    const policy = { policy: "backendtlspolicy/app/p", serverName: "silent.example.com" };
    const pending = startBackendTls(tcp, policy, "silent", controller.signal);
    // Once the server holds the connection, the handshake is surely under way.
    await waitFor("the backend to accept", () => held.length === 1);
    controller.abort();
    const error = await assertRejects(() => pending, UpstreamError);
    assertEquals((error as UpstreamError).kind, "timeout");
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});
