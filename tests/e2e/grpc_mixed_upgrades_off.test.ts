/**
 * `--upgrades off` on a cleartext port that mixes GRPCRoutes with
 * HTTPRoutes: its HTTP/1.1 connections are relayed to Deno's engine (the
 * first bytes were read to look for the HTTP/2 preface), and that relay must
 * not tunnel upgrades the gateway was told not to pass through. An upgrade
 * request is served as a plain request, as on a port the engine serves
 * directly: the backend sees no `Upgrade`, the client gets the answer and
 * the connection goes on with its next request.
 */
import { assert, assertEquals } from "@std/assert";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { grpcCall, startGrpcBackend } from "../_helpers/grpc_peer.ts";
import {
  gatewayYaml,
  GRPC_AND_WEB_HOSTNAME_ROUTES,
  grpcServiceYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

/** Writes `text` on a fresh connection and reads until the gateway closes it. */
async function exchange(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(text));
    let out = "";
    const buf = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return out;
      out += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

Deno.test("--upgrades off on a mixed gRPC port: an upgrade request is a plain request", async () => {
  await using one = await startGrpcBackend("one");
  await using web = startEchoBackend({ name: "web" });
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-grpc-mixed-off-" });
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [grpcServiceYaml("one", one.port), serviceYaml("web", web.port)].join("---\n"),
    "routes.yaml": GRPC_AND_WEB_HOSTNAME_ROUTES,
  });
  await using _gw = await startGateway({ manifests: dir, args: ["--upgrades", "off"] });
  // The port mixes both kinds: gRPC is served with trailers.
  const call = await grpcCall(port, "grpc.example.com", "/echo.Echo/Say");
  assertEquals(call.trailers["grpc-status"], "0");

  const got = await exchange(
    port,
    "GET /ws HTTP/1.1\r\nHost: web.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" +
      "GET /after HTTP/1.1\r\nHost: web.example.com\r\nConnection: close\r\n\r\n",
  );
  const statuses = [...got.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
  assertEquals(statuses, ["200", "200"], got);
  assert(got.includes('"target":"/ws"') && got.includes('"target":"/after"'), got);
  const seen = web.received().find((r) => r.target === "/ws");
  assert(seen !== undefined, "the backend saw the upgrade request");
  assert(!seen.headers.some(([n]) => n.toLowerCase() === "upgrade"), JSON.stringify(seen));
  await Deno.remove(dir, { recursive: true });
});
