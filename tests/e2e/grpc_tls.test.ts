/**
 * gRPC on an HTTPS listener through the real gateway process: a client that
 * negotiates `h2` by ALPN on a port with GRPCRoutes is served by the
 * gateway's own HTTP/2 server, so the backend's trailers reach it; HTTPS
 * requests over HTTP/1.1 on the same port still go to Deno's engine.
 */
import { assert, assertEquals } from "@std/assert";
import { createTestCa } from "../_helpers/certs.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { frame, grpcCall, startGrpcBackend } from "../_helpers/grpc_peer.ts";
import {
  GRPC_AND_WEB_ROUTES,
  grpcHttpsGatewayYaml,
  grpcServiceYaml,
  serviceYaml,
  tlsSecretYaml,
  writeManifests,
} from "./_manifests.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { httpOverTls } from "../dataplane/tls_test_client.ts";

Deno.test("gRPC on an HTTPS listener: h2 by ALPN gets the backend's trailers", async (t) => {
  await using ca = await createTestCa();
  const cert = await ca.issue(["grpc.example.com", "web.example.com"]);
  await using one = await startGrpcBackend("one");
  await using web = startEchoBackend({ name: "web" });
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-grpc-tls-" });
  await writeManifests(dir, {
    "gateway.yaml": grpcHttpsGatewayYaml(port),
    "secret.yaml": tlsSecretYaml("cert", cert.certPem, cert.keyPem),
    "services.yaml": [grpcServiceYaml("one", one.port), serviceYaml("web", web.port)].join("---\n"),
    "routes.yaml": GRPC_AND_WEB_ROUTES,
  });
  await using _gw = await startGateway({ manifests: dir });

  await t.step("a unary call over TLS gets grpc-status and the backend's trailers", async () => {
    const res = await grpcCall(port, "grpc.example.com", "/echo.Echo/Say", {
      message: new TextEncoder().encode("over tls"),
      tls: { ca: ca.certPem },
    });
    assertEquals(res.alpn, "h2");
    assertEquals(res.headers[":status"], "200");
    assertEquals(res.headers["x-backend"], "one");
    assertEquals(res.body, frame(new TextEncoder().encode("over tls")));
    assertEquals(res.trailers["grpc-status"], "0");
    assertEquals(res.trailers["x-trailer"], "one");
  });

  await t.step("no route is UNIMPLEMENTED (12) over TLS", async () => {
    const res = await grpcCall(port, "grpc.example.com", "/other.Svc/Call", {
      tls: { ca: ca.certPem },
    });
    assertEquals(res.headers["grpc-status"], "12");
  });

  await t.step("HTTP/1.1 over TLS on the same port still reaches its HTTPRoute", async () => {
    const conn = await connectTlsWithServerName({
      hostname: "127.0.0.1",
      port,
      serverName: "web.example.com",
      caCerts: [ca.certPem],
      alpnProtocols: ["http/1.1"],
    });
    try {
      const res = await httpOverTls(conn, { host: "web.example.com", path: "/page" });
      assertEquals(res.status, 200);
      assert(res.body.includes('"target":"/page"'), res.body);
    } finally {
      conn.close();
    }
  });
  await Deno.remove(dir, { recursive: true });
});
