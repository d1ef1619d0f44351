/**
 * `--access-log on` through the real process: one `request` line per
 * request with the fields the README lists, the request id sent upstream
 * when the client sent none (and the client's own kept), a streamed body of
 * unknown length counted to its end, and nothing logged with the flag off.
 * Also with `--workers 2`, where the lines come from the workers.
 */
import { assert, assertEquals } from "@std/assert";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { startGateway } from "../_helpers/gateway_process.ts";
import { GATEWAY_CLASS_YAML, INFRA, serviceYaml, simpleGatewayYaml } from "./_conformance.ts";
import { freePorts } from "../_helpers/gateway_process.ts";

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: logged, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: logs }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /app } }]
      backendRefs: [{ name: echo, port: 8080 }]
`;

async function withGateway(
  args: string[],
  run: (
    port: number,
    logs: () => Record<string, unknown>[],
    wait: (id: string) => Promise<Record<string, unknown>>,
  ) => Promise<void>,
): Promise<void> {
  await using backend = startEchoBackend({ name: "echo" });
  const dir = await Deno.makeTempDir({ prefix: "serval-access-log-" });
  const [port] = freePorts(1);
  await Deno.writeTextFile(
    `${dir}/all.yaml`,
    [
      GATEWAY_CLASS_YAML,
      simpleGatewayYaml("logs", port),
      serviceYaml(INFRA, "echo", backend.port),
      ROUTE,
    ]
      .join("---\n"),
  );
  try {
    await using gateway = await startGateway({ manifests: dir, args });
    const lines = () => gateway.logRecords().filter((r) => r.msg === "request");
    await run(
      port,
      lines,
      (id) => gateway.waitForLog((r) => r.msg === "request" && r.requestId === id),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("access log: one line per request, request id sent upstream when absent", async () => {
  await withGateway(["--access-log", "on"], async (port, _lines, wait) => {
    const url = `http://127.0.0.1:${port}/app/x?token=secret`;
    const res = await fetch(url, {});
    const echo: EchoRecord = await res.json();
    const sentId = echo.headers.find(([k]) => k.toLowerCase() === "x-request-id")?.[1];
    assert(sentId !== undefined && /^[0-9a-f-]{36}$/.test(sentId), String(sentId));
    const line = await wait(sentId);
    assertEquals(
      {
        listener: line.listener,
        route: line.route,
        method: line.method,
        authority: line.authority,
        path: line.path,
        status: line.status,
        bytesIn: line.bytesIn,
        level: line.level,
      },
      {
        listener: `gateway/${INFRA}/logs/listener/http`,
        route: `httproute/${INFRA}/logged/rule/0`,
        method: "GET",
        authority: `127.0.0.1:${port}`,
        path: "/app/x",
        status: 200,
        bytesIn: 0,
        level: "info",
      },
    );
    assert(typeof line.bytesOut === "number" && line.bytesOut > 0, String(line.bytesOut));
    assert(typeof line.durationMs === "number" && typeof line.upstreamMs === "number");
    assert(String(line.upstream).startsWith("127.0.0.1:"), String(line.upstream));
    assert(typeof line.time === "string");

    const own = await fetch(url, {
      headers: { "x-request-id": "client-id-1" },
    });
    const ownEcho: EchoRecord = await own.json();
    assertEquals(
      ownEcho.headers.filter(([k]) => k.toLowerCase() === "x-request-id").map(([, v]) => v),
      [
        "client-id-1",
      ],
    );
    await wait("client-id-1");

    const streamed = await fetch(`http://127.0.0.1:${port}/app/stream`, {
      headers: { "x-request-id": "streamed-1", "x-echo-stream": "3" },
    });
    assertEquals(await streamed.text(), "chunk 0\nchunk 1\nchunk 2\n");
    assertEquals((await wait("streamed-1")).bytesOut, 24);

    const missing = await fetch(`http://127.0.0.1:${port}/nothing`, {
      headers: { "x-request-id": "missing-1" },
    });
    await missing.body?.cancel();
    const notFound = await wait("missing-1");
    assertEquals([notFound.status, notFound.route], [404, "none"]);
  });
});

Deno.test("access log off: no request lines and no request id added", async () => {
  await withGateway([], async (port, lines) => {
    const res = await fetch(`http://127.0.0.1:${port}/app/x`, {});
    const echo: EchoRecord = await res.json();
    assertEquals(echo.headers.some(([k]) => k.toLowerCase() === "x-request-id"), false);
    assertEquals(lines(), []);
  });
});

Deno.test("access log with --workers 2: the workers write the lines", async () => {
  await withGateway(["--access-log", "on", "--workers", "2"], async (port, _lines, wait) => {
    const res = await fetch(`http://127.0.0.1:${port}/app/w`, {
      headers: { "x-request-id": "worker-1" },
    });
    await res.body?.cancel();
    assertEquals((await wait("worker-1")).status, 200);
  });
});
