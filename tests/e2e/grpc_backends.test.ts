/**
 * HTTP/2 to backends through the real gateway process: gRPC streaming in
 * every shape (client streaming, server streaming, bidi) with messages
 * crossing the gateway before either side half-closes, and HTTP/2 over TLS
 * under a BackendTLSPolicy for a GRPCRoute's backend and for an HTTPRoute's
 * `appProtocol: kubernetes.io/h2c` backend (the policy's CA and names, as
 * for HTTP/1.1 backends).
 */
import { assert, assertEquals } from "@std/assert";
import { createTestCa } from "../_helpers/certs.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import { frame, grpcCall, startGrpcBackend } from "../_helpers/grpc_peer.ts";
import { framedText, grpcStream } from "../_helpers/grpc_stream_client.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import {
  client,
  gatewayClassYaml,
  gatewayOnlyYaml,
  grpcServiceYaml,
  writeManifests,
} from "./_manifests.ts";

function policy(name: string, validation: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: ${name} }]
  validation:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: ca }]
    ${validation}
`;
}

/** A rule for echo.Echo calls carrying `x-target: <target>` (any, without a target). */
const rule = (backend: string, target?: string) =>
  `  - matches: [{ method: { service: echo.Echo }${
    target === undefined ? "" : `, headers: [{ name: x-target, value: ${target} }]`
  } }]
    backendRefs: [{ name: ${backend}, port: 8080 }]
`;

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: grpc, namespace: default }
spec:
  parentRefs: [{ name: grpc }]
  rules:
${rule("plain")}${rule("secure", "secure")}${rule("wrong-san", "wrong-san")}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: default }
spec:
  parentRefs: [{ name: web }]
  rules: [{ backendRefs: [{ name: h2-tls, port: 8080 }] }]
`;

Deno.test("HTTP/2 backends: gRPC streaming both ways, and TLS under a BackendTLSPolicy", async (t) => {
  await using ca = await createTestCa("grpc backend CA");
  const leaf = await ca.issue(["grpc.backend.example"]);
  await using plain = await startGrpcBackend("plain");
  await using secure = await startGrpcBackend("secure", { tls: leaf });
  const [grpcPort, webPort] = freePorts(2);
  const dir = await Deno.makeTempDir({ prefix: "serval-grpc-backends-" });
  await writeManifests(dir, {
    "gateways.yaml": [
      gatewayClassYaml(),
      gatewayOnlyYaml(grpcPort, "grpc"),
      gatewayOnlyYaml(webPort, "web"),
    ]
      .join("---\n"),
    "services.yaml": [
      grpcServiceYaml("plain", plain.port),
      grpcServiceYaml("secure", secure.port),
      grpcServiceYaml("wrong-san", secure.port),
      grpcServiceYaml("h2-tls", secure.port, "kubernetes.io/h2c"),
    ].join("---\n"),
    "tls.yaml": [
      `apiVersion: v1
kind: ConfigMap
metadata: { name: ca, namespace: default }
data:
  ca.crt: ${JSON.stringify(ca.certPem)}
`,
      policy("secure", "hostname: grpc.backend.example"),
      policy(
        "wrong-san",
        "hostname: grpc.backend.example\n    subjectAltNames: [{ type: Hostname, hostname: other.example }]",
      ),
      policy("h2-tls", "hostname: grpc.backend.example"),
    ].join("---\n"),
    "routes.yaml": ROUTES,
  });
  await using _gw = await startGateway({ manifests: dir });
  const host = "grpc.example.com";

  await t.step("bidi: each message comes back before the client half-closes", async () => {
    await using call = grpcStream(grpcPort, host, "/echo.Echo/Chat");
    call.send("one");
    assertEquals(await call.read(framedText("one").length), framedText("one"));
    call.send("two");
    assertEquals(await call.read(framedText("two").length), framedText("two"));
    call.end();
    assertEquals((await call.trailers)["grpc-status"], "0");
  });

  await t.step("client streaming: messages reach the backend before the half-close", async () => {
    const before = plain.received();
    await using call = grpcStream(grpcPort, host, "/echo.Echo/Collect");
    call.send("first");
    await waitFor("the first message at the backend", () => plain.received() > before);
    call.send("second");
    call.end();
    const total = String(framedText("first").length + framedText("second").length);
    assertEquals(await call.read(framedText(total).length), framedText(total));
    assertEquals((await call.trailers)["grpc-status"], "0");
  });

  await t.step(
    "server streaming: a message reaches the client while the call is open",
    async () => {
      await using call = grpcStream(grpcPort, host, "/echo.Echo/Ticks");
      call.send("go");
      call.end();
      assertEquals(await call.read(framedText("tick-1").length), framedText("tick-1"));
      plain.releaseTicks();
      assertEquals(await call.read(framedText("tick-2").length), framedText("tick-2"));
      assertEquals((await call.trailers)["grpc-status"], "0");
    },
  );

  await t.step(
    "a gRPC backend over TLS, verified with the policy's CA: OK with trailers",
    async () => {
      const message = new TextEncoder().encode("over tls");
      const res = await grpcCall(grpcPort, host, "/echo.Echo/Say", {
        message,
        headers: { "x-target": "secure" },
      });
      assertEquals(res.headers["x-backend"], "secure");
      assertEquals(res.body, frame(message));
      assertEquals(res.trailers["grpc-status"], "0");
      assertEquals(res.trailers["x-trailer"], "secure");
    },
  );

  await t.step(
    "a certificate without the policy's subjectAltName is UNAVAILABLE (14)",
    async () => {
      const res = await grpcCall(grpcPort, host, "/echo.Echo/Say", {
        headers: { "x-target": "wrong-san" },
      });
      assertEquals(res.headers["grpc-status"], "14");
      assert((res.headers["grpc-message"] ?? "").startsWith("502"), res.headers["grpc-message"]);
    },
  );

  await t.step(
    "an h2c Service port under a policy is HTTP/2 over TLS for an HTTPRoute",
    async () => {
      const res = await fetch(`http://127.0.0.1:${webPort}/echo.Echo/Say`, {
        method: "POST",
        body: new Blob([frame(new TextEncoder().encode("web")) as Uint8Array<ArrayBuffer>]),
        headers: { host: "web.example.com", "content-type": "application/grpc" },
        client,
      });
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("x-backend"), "secure");
      assertEquals(new Uint8Array(await res.arrayBuffer()), frame(new TextEncoder().encode("web")));
    },
  );
  await Deno.remove(dir, { recursive: true });
});
