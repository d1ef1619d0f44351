/**
 * A cleartext port with an HTTPRoute and a GRPCRoute, through the real
 * gateway process: gRPC calls (h2c, prior knowledge) get their trailers from
 * the gateway's own HTTP/2 server; HTTP/1.1 requests go to Deno's engine with
 * the client's address; HTTP/2 requests for the HTTPRoute are served by the
 * same HTTP/2 server through the same handler.
 */
import { assert, assertEquals } from "@std/assert";
import http2 from "node:http2";
import { Buffer } from "node:buffer";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { grpcCall, startGrpcBackend } from "../_helpers/grpc_peer.ts";
import {
  client,
  gatewayYaml,
  GRPC_AND_WEB_HOSTNAME_ROUTES,
  grpcServiceYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

/** One HTTP/2 GET by prior knowledge with `node:http2`. */
function h2Get(port: number, authority: string, path: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({ ":method": "GET", ":path": path, ":authority": authority });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => status = Number(h[":status"]));
    stream.on("data", (d: Buffer) => chunks.push(d));
    stream.on("error", reject);
    stream.on("end", () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks).toString() });
    });
  });
}

Deno.test("A port with an HTTPRoute and a GRPCRoute serves gRPC with trailers, HTTP/1.1 and HTTP/2", async (t) => {
  await using one = await startGrpcBackend("one");
  await using web = startEchoBackend({ name: "web" });
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-grpc-mixed-" });
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [grpcServiceYaml("one", one.port), serviceYaml("web", web.port)].join("---\n"),
    "routes.yaml": GRPC_AND_WEB_HOSTNAME_ROUTES,
  });
  await using _gw = await startGateway({ manifests: dir });

  await t.step("a gRPC call gets its backend's trailers", async () => {
    const res = await grpcCall(port, "grpc.example.com", "/echo.Echo/Say");
    assertEquals(res.headers["x-backend"], "one");
    assertEquals(res.trailers["grpc-status"], "0");
    assertEquals(res.trailers["x-trailer"], "one");
  });

  await t.step("HTTP/1.1 requests reach the HTTPRoute with the client's address", async () => {
    for (const path of ["/first", "/second"]) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { host: "web.example.com" },
        client,
      });
      assertEquals(res.status, 200);
      const seen = await res.json();
      assertEquals(seen.target, path);
      const xff = seen.headers.find(([n]: [string]) => n.toLowerCase() === "x-forwarded-for");
      assertEquals(xff?.[1], "127.0.0.1");
    }
  });

  await t.step("an HTTP/2 request by prior knowledge reaches the HTTPRoute", async () => {
    const res = await h2Get(port, "web.example.com", "/over-h2");
    assertEquals(res.status, 200);
    assert(res.body.includes('"target":"/over-h2"'), res.body);
  });

  await t.step("an HTTP/1.1 request for the gRPC host gets no route, not a refusal", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/echo.Echo/Say`, {
      headers: { host: "grpc.example.com" },
      client,
    });
    await res.body?.cancel();
    assert(res.status !== 505, `status ${res.status}`);
  });
  await Deno.remove(dir, { recursive: true });
});
