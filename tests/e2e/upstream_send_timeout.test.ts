/**
 * `--upstream-send-timeout` through the real process: a backend that stops
 * reading a large upload, on a route with no request timeout (`--upstream-
 * timeout 0s`), gets the client a 504 once the backend took nothing for the
 * bound, counted as an upstream timeout in `/metrics` (and, with the access
 * log on, in its line), on our HTTP/1.1 server's fast path and its Request
 * path (the access log takes it), on Deno's engine and in a worker; once
 * the backend's response began, the client's response ends unfinished on
 * either engine. The bound is a small flag value; the tests wait for the
 * answer, never for time.
 */
import { assert, assertEquals } from "@std/assert";
import { freePort, type GatewayProcess, startGateway } from "../_helpers/gateway_process.ts";
import { metricValue } from "../_helpers/metric_value.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { startStallingBackend } from "../dataplane/_stalling_backend.ts";
import { gatewayYaml, prefixRule, routeYaml, serviceYaml, writeManifests } from "./_manifests.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const UPLOAD_BYTES = 256 * 1024 * 1024;

/**
 * Starts an upload of {@linkcode UPLOAD_BYTES} (more than every socket
 * buffer between here and the backend holds) and returns the answer's
 * first bytes, read while the body is still being written (`toTheEnd`:
 * everything until the gateway ends the connection).
 */
async function stalledUpload(port: number, toTheEnd = false): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encoder.encode(
      `POST /upload HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: ${UPLOAD_BYTES}\r\n\r\n`,
    ));
    const writing = (async () => {
      const chunk = new Uint8Array(64 * 1024).fill(120);
      for (let sent = 0; sent < UPLOAD_BYTES; sent += chunk.length) await conn.write(chunk);
    })().catch(() => {/* the gateway closed the connection after its answer */});
    const buf = new Uint8Array(4096);
    // A deadline only a gateway that waits for ever reaches.
    let gaveUp = false;
    const giveUp = setTimeout(() => {
      gaveUp = true;
      conn.close();
    }, 60_000);
    let text = "";
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n));
      if (!toTheEnd) break;
    }
    clearTimeout(giveUp);
    try {
      conn.close();
    } catch { /* closed by the deadline */ }
    await writing;
    return gaveUp ? `${text}\n(the connection did not end within 60 s)` : text;
  } catch (error) {
    conn.close();
    throw error;
  }
}

/**
 * The gateway on a port of its own in front of `backendPort` (one route for
 * a.example.com), with no request timeout, a 300 ms send bound and `args`;
 * its manifests go with it.
 */
async function gatewayInFront(
  backendPort: number,
  args: string[],
): Promise<{ port: number; gw: GatewayProcess } & AsyncDisposable> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-send-timeout-" });
  const removeDir = () => Deno.remove(dir, { recursive: true });
  try {
    await writeManifests(dir, {
      "gateway.yaml": gatewayYaml(port),
      "services.yaml": serviceYaml("a", backendPort),
      "routes.yaml": routeYaml("a", ["a.example.com"], prefixRule("/", "a")),
    });
    const gw = await startGateway({
      manifests: dir,
      args: ["--upstream-timeout", "0s", "--upstream-send-timeout", "300ms", ...args],
    });
    return {
      port,
      gw,
      async [Symbol.asyncDispose]() {
        try {
          await gw[Symbol.asyncDispose]();
        } finally {
          await removeDir();
        }
      },
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

const CASES: [string, string[]][] = [
  ["our HTTP/1.1 server's fast path", []],
  ["our HTTP/1.1 server's Request path (access log on)", ["--access-log", "on"]],
  ["Deno's HTTP engine", ["--http1-engine", "deno"]],
  ["two data-plane workers", ["--workers", "2"]],
];

for (const [name, args] of CASES) {
  Deno.test(`--upstream-send-timeout, ${name}: a backend that stops reading the upload is a 504 and an upstream timeout`, async () => {
    await using backend = startStallingBackend("silent");
    await using front = await gatewayInFront(backend.port, args);
    const { port, gw } = front;
    const answer = await stalledUpload(port);
    assert(answer.startsWith("HTTP/1.1 504"), answer);
    backend.resume();
    await backend.closed;
    // Workers batch their counts to the main isolate.
    let text = "";
    await waitFor("the 504 counted", async () => {
      text = await (await gw.admin("/metrics")).text();
      return metricValue(text, "serval_http_requests_total", { code: "504" }) === 1;
    });
    assertEquals(metricValue(text, "serval_upstream_errors_total", { kind: "timeout" }), 1);
    if (args.includes("--access-log")) {
      const line = await gw.waitForLog((r) => r.msg === "request");
      assertEquals([line.method, line.path, line.status], ["POST", "/upload", 504]);
    }
  });
}

for (const engine of ["own", "deno"] as const) {
  Deno.test(`--upstream-send-timeout, --http1-engine ${engine}: a backend that answered, then stopped reading the upload, loses its connection and the client's response ends unfinished`, async () => {
    await using backend = startStallingBackend("answers");
    await using front = await gatewayInFront(backend.port, ["--http1-engine", engine]);
    const answer = await stalledUpload(front.port, true);
    // The head and the first chunk came; the last chunk never does.
    assert(answer.startsWith("HTTP/1.1 200") && answer.includes("hello"), answer);
    assert(!answer.includes("\r\n0\r\n\r\n") && !answer.includes("did not end"), answer);
    backend.resume();
    await backend.closed;
  });
}
