/**
 * The client-certificate relay on its own: a validated client's decrypted
 * stream goes to the engine, and the relay ends when the client goes away,
 * even when the engine keeps its side of the connection open.
 */
import { assertEquals } from "@std/assert";
import { createClientAuth } from "../../src/dataplane/tls_client_auth.ts";
import type { SniEntry } from "../../src/dataplane/sni.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { sharedTestCa } from "../_helpers/certs.ts";
import { waitFor } from "../_helpers/wait_for.ts";

/** Settles with "settled", or with "hung" after `ms` (a deadline only a defect reaches). */
async function settles(promise: Promise<unknown>, ms: number): Promise<"settled" | "hung"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => timer = setTimeout(() => resolve("hung"), ms));
  try {
    return await Promise.race([promise.then(() => "settled" as const), hung]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a relay ends when its client closes, though the engine keeps its connection open", async () => {
  const ca = await sharedTestCa();
  // Dialled at 127.0.0.1, so the certificate names that address.
  const leaf = await ca.issue(["mtls.example.com", "127.0.0.1"]);
  const held: Deno.TcpConn[] = [];
  const received: string[] = [];
  const auth = createClientAuth({
    logger: silentLogger,
    lookup: () => ({
      serverName: "mtls.example.com",
      remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    }),
    // An engine that reads the request and never closes its side.
    serve: (conn) => {
      held.push(conn);
      void (async () => {
        const buffer = new Uint8Array(1024);
        const n = await conn.read(buffer).catch(() => null);
        if (n !== null) received.push(new TextDecoder().decode(buffer.subarray(0, n)));
      })();
    },
  });
  const entry: SniEntry = {
    listenerId: "gateway/default/gw/listener/mtls",
    hostname: "mtls.example.com",
    certificateId: "secret/default/mtls",
    clientValidation: {
      mode: "AllowInsecureFallback",
      caRefs: ["secret/default/clients-ca"],
      caCertificates: [ca.certPem],
    },
  };
  const port = await auth.portFor(entry, { cert: leaf.certPem, key: leaf.keyPem });
  const client = await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [ca.certPem],
  });
  await client.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: mtls.example.com\r\n\r\n"));
  await waitFor("the request relayed", () => received.length > 0 && auth.relays() === 1);
  assertEquals(received, ["GET / HTTP/1.1\r\nHost: mtls.example.com\r\n\r\n"]);
  client.close();
  await auth.close();
  assertEquals(await settles(auth.drained(), 30_000), "settled");
  assertEquals(auth.relays(), 0);
  for (const conn of held) {
    try {
      conn.close();
    } catch {
      // The relay closed it.
    }
  }
});
