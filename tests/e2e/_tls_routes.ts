/**
 * Backends and clients of the TLSRoute e2e tests: TLS and plain TCP backends
 * on loopback, a TLSRoute manifest, and a client that asks over TLS with a
 * chosen server name.
 * @module
 */
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import type { TestCa } from "../_helpers/certs.ts";
import { httpOverTls } from "../dataplane/tls_test_client.ts";

/** A TLSRoute of namespace `default` on listener `sectionName` of Gateway `e2e`. */
export function tlsRouteYaml(
  name: string,
  hostnames: string[],
  backendRefs: string,
  sectionName = "tls",
): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [{ name: e2e, sectionName: ${sectionName} }]
  hostnames: ${JSON.stringify(hostnames)}
  rules:
    - backendRefs: ${backendRefs}
`;
}

/** A plain TCP backend that greets first, then echoes. */
export function greetingBackend() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      void (async () => {
        await conn.write(new TextEncoder().encode("welcome\n"));
        const buffer = new Uint8Array(1024);
        for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
          await conn.write(buffer.subarray(0, n));
        }
        conn.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await serving;
    },
  };
}

/** One HTTP/1.1 GET over TLS with `serverName` as SNI and Host; the body of the answer. */
export async function ask(port: number, ca: TestCa, serverName: string): Promise<string> {
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port,
    serverName,
    caCerts: [ca.certPem],
  });
  try {
    return (await httpOverTls(conn, { host: serverName, path: "/" })).body;
  } finally {
    conn.close();
  }
}

/** Reads until a newline arrived. */
export async function readSome(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(256);
  while (!text.endsWith("\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("Cannot read a line: connection closed");
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text;
}

/** A Gateway or route status as `/config` shows it. */
export interface RouteStatus {
  kind: string;
  name: string;
  status: {
    parents?: { conditions: { type: string; status: string; reason: string }[] }[];
    listeners?: {
      name: string;
      supportedKinds: { kind: string }[];
      attachedRoutes: number;
      conditions: { type: string; status: string; reason: string }[];
    }[];
  };
}
