/**
 * gRPC on an HTTPS listener that validates client certificates, through the
 * real gateway process: a client with a certificate of the listener's CA
 * that negotiates `h2` gets the backend's trailers (our HTTP/2 server, not
 * Deno's engine), a client without one is refused at the handshake, and
 * HTTP/1.1 with a certificate on the same port still reaches its HTTPRoute.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
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
import { curlHttps } from "../dataplane/tls_test_client.ts";

Deno.test("gRPC on an HTTPS listener that validates client certificates gets its trailers", async (t) => {
  await using serverCa = await createTestCa("server CA");
  await using clientsCa = await createTestCa("clients CA");
  const cert = await serverCa.issue(["grpc.example.com", "web.example.com"]);
  const client = await clientsCa.issue([], { commonName: "grpc client", clientAuth: true });
  await using one = await startGrpcBackend("one");
  await using web = startEchoBackend({ name: "web" });
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-grpc-mtls-" });
  await writeManifests(dir, {
    "gateway.yaml": grpcHttpsGatewayYaml(port, clientsCa.certPem),
    "secret.yaml": tlsSecretYaml("cert", cert.certPem, cert.keyPem),
    "services.yaml": [grpcServiceYaml("one", one.port), serviceYaml("web", web.port)].join("---\n"),
    "routes.yaml": GRPC_AND_WEB_ROUTES,
  });
  await using _gw = await startGateway({ manifests: dir });

  await t.step("with a client certificate: grpc-status and the backend's trailers", async () => {
    const res = await grpcCall(port, "grpc.example.com", "/echo.Echo/Say", {
      message: new TextEncoder().encode("with a certificate"),
      tls: { ca: serverCa.certPem, cert: client.certPem, key: client.keyPem },
    });
    assertEquals(res.alpn, "h2");
    assertEquals(res.headers[":status"], "200");
    assertEquals(res.headers["x-backend"], "one");
    assertEquals(res.body, frame(new TextEncoder().encode("with a certificate")));
    assertEquals(res.trailers["grpc-status"], "0");
    assertEquals(res.trailers["x-trailer"], "one");
  });

  await t.step("without a client certificate the call is refused", async () => {
    await assertRejects(() =>
      grpcCall(port, "grpc.example.com", "/echo.Echo/Say", { tls: { ca: serverCa.certPem } })
    );
  });

  await t.step("HTTP/1.1 with a client certificate still reaches its HTTPRoute", async () => {
    await Deno.writeTextFile(`${dir}/ca.pem`, serverCa.certPem);
    await Deno.writeTextFile(`${dir}/client.crt`, client.certPem);
    await Deno.writeTextFile(`${dir}/client.key`, client.keyPem);
    const res = await curlHttps({
      port,
      caFile: `${dir}/ca.pem`,
      names: ["web.example.com"],
      args: [
        "--http1.1",
        "--cert",
        `${dir}/client.crt`,
        "--key",
        `${dir}/client.key`,
        "-m",
        "20",
        "https://web.example.com:PORT/page",
      ],
    });
    assert(res.success, res.stderr);
    assert(res.stdout.includes('"target":"/page"'), res.stdout);
  });
  await Deno.remove(dir, { recursive: true });
});
