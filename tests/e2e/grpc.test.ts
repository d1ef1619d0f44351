/**
 * GRPCRoute through the real gateway process and real gRPC peers (h2c by
 * prior knowledge on both sides): unary calls with trailers passed through,
 * the gateway's own answers as gRPC statuses, header modifiers, weights,
 * and the statuses of the route and the listener.
 */
import { assert, assertEquals } from "@std/assert";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { frame, grpcCall, startGrpcBackend } from "../_helpers/grpc_peer.ts";
import { gatewayYaml, grpcServiceYaml, writeManifests } from "./_manifests.ts";

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: echo, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: { service: echo.Echo, method: Say }
      headers: [{ name: x-split, value: "yes" }]
    backendRefs:
    - { name: one, port: 8080, weight: 1 }
    - { name: two, port: 8080, weight: 1 }
  - name: by-service
    matches:
    - method: { service: echo.Echo }
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{ name: x-via, value: gateway }]
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        remove: [x-internal]
        add: [{ name: x-added, value: by-gateway }]
    backendRefs: [{ name: one, port: 8080 }]
  - matches:
    - method: { service: dead.Dead }
    backendRefs: [{ name: dead, port: 8080 }]
  - matches:
    - method: { service: ghost.Ghost }
    backendRefs: [{ name: ghost, port: 8080 }]
`;

Deno.test("GRPCRoute: unary calls, trailers, gRPC statuses, filters and weights through the gateway", async (t) => {
  await using one = await startGrpcBackend("one");
  await using two = await startGrpcBackend("two");
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-grpc-" });
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [
      grpcServiceYaml("one", one.port),
      grpcServiceYaml("two", two.port),
      grpcServiceYaml("dead", freePort()),
    ]
      .join("---\n"),
    "route.yaml": ROUTE,
  });
  await using gw = await startGateway({ manifests: dir });
  const host = "grpc.example.com";

  await t.step(
    "a unary call reaches its backend and the trailers come back unchanged",
    async () => {
      const message = new TextEncoder().encode("ping");
      const res = await grpcCall(port, host, "/echo.Echo/Say", {
        message,
        headers: { "x-echo-headers": "x-via" },
      });
      assertEquals(res.headers[":status"], "200");
      assertEquals(res.headers["x-backend"], "one");
      assertEquals(res.body, frame(message));
      assertEquals(res.trailers["grpc-status"], "0");
      assertEquals(res.trailers["grpc-message"], "fine");
      assertEquals(res.trailers["x-trailer"], "one");
    },
  );

  await t.step("a named rule serves beside unnamed ones (GRPCRouteNamedRouteRule)", async () => {
    const res = await grpcCall(port, host, "/echo.Echo/Say", {
      headers: { "x-echo-headers": "x-via" },
    });
    assertEquals(res.headers["x-seen-x-via"], "gateway");
    assertEquals(res.trailers["grpc-status"], "0");
  });

  await t.step("header modifiers change the request and the response headers", async () => {
    const res = await grpcCall(port, host, "/echo.Echo/Say", {
      headers: { "x-echo-headers": "x-via", "x-via": "client" },
    });
    assertEquals(res.headers["x-seen-x-via"], "gateway");
    assertEquals(res.headers["x-internal"], undefined);
    assertEquals(res.headers["x-added"], "by-gateway");
  });

  await t.step("a backend's Trailers-Only status passes through", async () => {
    const res = await grpcCall(port, host, "/echo.Echo/Missing");
    assertEquals(res.headers["grpc-status"], "5");
  });

  await t.step("no matching route is UNIMPLEMENTED (12) over HTTP 200", async () => {
    const res = await grpcCall(port, host, "/other.Service/Call");
    assertEquals(res.headers[":status"], "200");
    assertEquals(res.headers["content-type"], "application/grpc");
    assertEquals(res.headers["grpc-status"], "12");
    const elsewhere = await grpcCall(port, "unknown.example.com", "/echo.Echo/Say");
    assertEquals(elsewhere.headers["grpc-status"], "12");
  });

  await t.step("a backend that refuses connections is UNAVAILABLE (14)", async () => {
    const res = await grpcCall(port, host, "/dead.Dead/Call");
    assertEquals(res.headers["grpc-status"], "14");
    assert((res.headers["grpc-message"] ?? "").startsWith("502"), res.headers["grpc-message"]);
  });

  await t.step("an invalid backendRef is UNAVAILABLE (14)", async () => {
    const res = await grpcCall(port, host, "/ghost.Ghost/Call");
    assertEquals(res.headers["grpc-status"], "14");
  });

  await t.step("weights spread calls over both backends", async () => {
    const seen = new Set<string>();
    // Equal weights: the chance that 64 calls all land on one backend is 2^-63.
    for (let i = 0; i < 64 && seen.size < 2; i++) {
      const res = await grpcCall(port, host, "/echo.Echo/Say", { headers: { "x-split": "yes" } });
      assertEquals(res.trailers["grpc-status"], "0");
      seen.add(res.headers["x-backend"]);
    }
    assertEquals([...seen].sort(), ["one", "two"]);
  });

  await t.step("an HTTP/1.1 request on the gRPC-only port gets a clear refusal", async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(`GET / HTTP/1.1\r\nhost: ${host}\r\n\r\n`));
    const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert(reply.startsWith("HTTP/1.1 505 "), reply);
  });

  await t.step(
    "clients that open a stream and destroy their session at once do not harm the gateway",
    async () => {
      // The pattern that crashed node:http2's server (SIGSEGV), from a process of its own.
      const code = `import http2 from "node:http2";
        for (let i = 0; i < 50; i++) {
          const session = http2.connect("http://127.0.0.1:${port}");
          session.on("error", () => {});
          const stream = session.request({ ":method": "POST", ":path": "/echo.Echo/Say",
            ":authority": "${host}", "content-type": "application/grpc" });
          stream.on("error", () => {});
          session.destroy();
        }`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", code],
        stdout: "null",
        stderr: "null",
      }).output();
      assertEquals(out.code, 0);
      const res = await grpcCall(port, host, "/echo.Echo/Say");
      assertEquals(res.trailers["grpc-status"], "0");
      const health = await gw.admin("/healthz");
      await health.body?.cancel();
      assertEquals(health.status, 200, "the gateway process is alive");
    },
  );

  await t.step("the route is accepted and the listener supports GRPCRoute", async () => {
    const config = await (await gw.admin("/config")).json();
    const statuses = config.statuses as {
      kind: string;
      name: string;
      status: {
        parents?: { conditions: { type: string; status: string }[] }[];
        listeners?: { supportedKinds: { kind: string }[]; attachedRoutes: number }[];
      };
    }[];
    const route = statuses.find((s) => s.kind === "GRPCRoute" && s.name === "echo");
    const accepted = route?.status.parents?.[0].conditions.find((c) => c.type === "Accepted");
    assertEquals(accepted?.status, "True");
    const gateway = statuses.find((s) => s.kind === "Gateway" && s.name === "e2e");
    const listener = gateway?.status.listeners?.[0];
    assertEquals(listener?.supportedKinds.map((k) => k.kind), ["HTTPRoute", "GRPCRoute"]);
    assertEquals(listener?.attachedRoutes, 1);
  });
  await Deno.remove(dir, { recursive: true });
});
