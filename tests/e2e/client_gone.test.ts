/**
 * A client that goes away cancels its backend call, against the real
 * process with either HTTP/1.1 engine: the backend sees its connection
 * close, `/metrics` counts a 499 and no upstream error, and Deno's engine
 * runs with its request signal aborting only for a client that left (no
 * legacy-abort warning on the process's output); a gRPC call the client
 * resets resets the backend's stream.
 */
import { assert, assertEquals } from "@std/assert";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startHangingBackend, startHangingH2Backend } from "../_helpers/hanging_backend.ts";
import http2 from "node:http2";
import { metricValue } from "../_helpers/metric_value.ts";
import {
  gatewayYaml,
  grpcServiceYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One GET with `Connection: close`; the whole answer. */
async function getOnce(port: number, path: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      encoder.encode(`GET ${path} HTTP/1.1\r\nHost: a.example.com\r\nConnection: close\r\n\r\n`),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return text;
      text += decoder.decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

for (const engine of ["own", "deno"] as const) {
  Deno.test(`--http1-engine ${engine}: a client that leaves closes the backend connection and is counted 499`, async () => {
    await using upstream = startHangingBackend();
    const port = freePort();
    const dir = await Deno.makeTempDir({ prefix: "serval-client-gone-" });
    await writeManifests(dir, {
      "gateway.yaml": gatewayYaml(port),
      "services.yaml": serviceYaml("a", upstream.port),
      "routes.yaml": routeYaml("a", ["a.example.com"], prefixRule("/", "a")),
    });
    await using gw = await startGateway({ manifests: dir, args: ["--http1-engine", engine] });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode("GET /hang HTTP/1.1\r\nHost: a.example.com\r\n\r\n"));
    await upstream.received("/hang");
    conn.close();
    await upstream.closed("/hang");
    const answer = await getOnce(port, "/ok-after");
    assert(answer.startsWith("HTTP/1.1 200") && answer.endsWith("\r\n\r\nok"), answer);
    const text = await (await gw.admin("/metrics")).text();
    assertEquals(metricValue(text, "serval_http_requests_total", { code: "499" }), 1);
    assertEquals(metricValue(text, "serval_http_requests_total", { code: "200" }), 1);
    const upstreamErrors = text.split("\n").filter((l) =>
      l.startsWith("serval_upstream_errors_total{") && !l.endsWith(" 0")
    );
    assertEquals(upstreamErrors, []);
    const stray = gw.logs().filter((l) => l.includes("legacy"));
    assert(stray.length === 0, stray.join("\n"));
  });
}

const GRPC_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: slow, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: { service: slow.Slow }
    backendRefs: [{ name: slow, port: 8080 }]
`;

Deno.test("GRPCRoute: a call the client resets resets the backend's stream, counted 499", async () => {
  await using upstream = await startHangingH2Backend();
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-client-gone-grpc-" });
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": grpcServiceYaml("slow", upstream.port),
    "route.yaml": GRPC_ROUTE,
  });
  await using gw = await startGateway({ manifests: dir });
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  try {
    const call = session.request({
      ":method": "POST",
      ":path": "/slow.Slow/Wait",
      ":authority": "grpc.example.com",
      "content-type": "application/grpc",
      te: "trailers",
    });
    call.on("error", () => {});
    call.end(new Uint8Array([0, 0, 0, 0, 0]));
    await upstream.received("/slow.Slow/Wait");
    call.close(http2.constants.NGHTTP2_CANCEL);
    await upstream.closed("/slow.Slow/Wait");
    assertEquals(upstream.rstCodes.get("/slow.Slow/Wait"), http2.constants.NGHTTP2_CANCEL);
  } finally {
    session.destroy();
  }
  const text = await (await gw.admin("/metrics")).text();
  assertEquals(metricValue(text, "serval_http_requests_total", { code: "499" }), 1);
  const upstreamErrors = text.split("\n").filter((l) =>
    l.startsWith("serval_upstream_errors_total{") && !l.endsWith(" 0")
  );
  assertEquals(upstreamErrors, []);
});
