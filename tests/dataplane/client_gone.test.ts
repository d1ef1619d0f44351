/**
 * A client that goes away cancels its backend call, through real sockets:
 * the backend accepts a request and never answers, the client sends and
 * leaves, and the test awaits the backend's side closing (its connection,
 * or its HTTP/2 stream reset). No timer decides anything: the runner's own
 * timeout is the only deadline.
 */
import { assert, assertEquals } from "@std/assert";
import http2 from "node:http2";
import { DEFAULT_CLIENT_TIMEOUTS, type Http1Engine } from "../../src/dataplane/client_timeouts.ts";
import { DEFAULT_REQUEST_POLICY } from "../../src/dataplane/request_policy.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { BackendConfig } from "../../src/model/config.ts";
import { sharedTestCa } from "../_helpers/certs.ts";
import {
  type HangingBackend,
  startHangingBackend,
  startHangingH2Backend,
} from "../_helpers/hanging_backend.ts";
import { backend, testConfig } from "./_config.ts";
import { startProxy } from "./_proxy.ts";
import { httpsConfig, threeListeners } from "./_tls_harness.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface PortOptions {
  protocol?: "HTTP" | "HTTPS";
  engine?: Http1Engine;
  /** The backend's protocol (`h2c`: an HTTP/2 backend). */
  backendProtocol?: BackendConfig["protocol"];
  accessLog?: boolean;
}

/** A gateway port routing every path to `upstream`, with what it recorded. */
async function startPort(upstream: HangingBackend, options: PortOptions = {}) {
  const ca = await sharedTestCa();
  const https = options.protocol === "HTTPS"
    ? (await threeListeners(ca)).filter((l) => l.hostname === null)
    : undefined;
  const logs: Record<string, unknown>[] = [];
  const proxy = await startProxy(
    (port) => {
      if (https !== undefined) return httpsConfig(port, upstream.port, https);
      const to = {
        ...backend("svc", [upstream.port]),
        protocol: options.backendProtocol ?? "http",
      };
      return { config: testConfig(port, [{ path: "/", backends: [to] }]) };
    },
    { ...DEFAULT_REQUEST_POLICY, accessLog: options.accessLog === true },
    {
      connections: {
        maxConnections: 0,
        maxConnectionsPerPort: 0,
        timeouts: DEFAULT_CLIENT_TIMEOUTS,
        http1Engine: options.engine ?? "own",
      },
      logger: createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) }),
    },
  );
  assert(proxy.states.every((s) => s.bound), JSON.stringify(proxy.states));
  return Object.assign(proxy, { caPem: ca.certPem, logs });
}

/**
 * Sends `request` on a new connection, waits until the backend has `path`,
 * closes the connection and waits until the backend's side of it closes.
 */
async function sendAndLeave(
  port: number,
  upstream: { received(path: string): Promise<unknown>; closed(path: string): Promise<unknown> },
  request: Uint8Array,
  path: string,
): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(request);
  await upstream.received(path);
  conn.close();
  await upstream.closed(path);
}

type Conn = Deno.Conn | Deno.TlsConn;

async function connect(port: number, tls?: string): Promise<Conn> {
  if (tls === undefined) return await Deno.connect({ hostname: "127.0.0.1", port });
  return await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [tls],
    alpnProtocols: ["http/1.1"],
  });
}

function get(path: string): Uint8Array {
  return encoder.encode(`GET ${path} HTTP/1.1\r\nHost: a.example\r\n\r\n`);
}

/** Reads from `conn` until `text` has come; what came. */
async function readUntil(conn: Conn, text: string): Promise<string> {
  const buf = new Uint8Array(4096);
  let got = "";
  while (!got.includes(text)) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`The connection ended before ${JSON.stringify(text)}: ${got}`);
    got += decoder.decode(buf.subarray(0, n));
  }
  return got;
}

/** One GET over a fresh connection; the whole answer. */
async function getOnce(port: number, path: string, tls?: string): Promise<string> {
  const conn = await connect(port, tls);
  try {
    await conn.write(get(path));
    return await readUntil(conn, "\r\n\r\nok");
  } finally {
    conn.close();
  }
}

/** The port's next request on a backend's pooled connection still succeeds. */
async function nextSucceeds(port: number, upstream: HangingBackend, path: string, tls?: string) {
  const answer = await getOnce(port, path, tls);
  assert(answer.startsWith("HTTP/1.1 200"), answer);
  assert(upstream.paths.includes(path));
}

for (const protocol of ["HTTP", "HTTPS"] as const) {
  const tlsNote = protocol === "HTTPS" ? " over TLS" : "";
  Deno.test(`HTTP/1.1${tlsNote}: a client that closes before the answer closes the backend connection, recorded 499`, async () => {
    await using upstream = startHangingBackend();
    await using gw = await startPort(upstream, { protocol });
    const tls = protocol === "HTTPS" ? gw.caPem : undefined;
    // A pooled connection first: the hanging request reuses it, and must not leave it poisoned.
    await nextSucceeds(gw.port, upstream, "/ok-before", tls);
    const conn = await connect(gw.port, tls);
    await conn.write(get("/hang"));
    await upstream.received("/hang");
    conn.close();
    await upstream.closed("/hang");
    await nextSucceeds(gw.port, upstream, "/ok-after", tls);
    assertEquals(gw.statuses, [200, 499, 200]);
    assertEquals(gw.upstreamErrors, []);
  });
}

Deno.test("HTTP/1.1: a half-close after a complete request is taken as the client leaving", async () => {
  await using upstream = startHangingBackend();
  await using gw = await startPort(upstream);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
  try {
    await conn.write(get("/hang"));
    await upstream.received("/hang");
    await conn.closeWrite();
    await upstream.closed("/hang");
    // Nothing is answered: the connection just ends.
    assertEquals(await conn.read(new Uint8Array(64)).catch(() => null), null);
  } finally {
    conn.close();
  }
  assertEquals(gw.statuses, [499]);
});

Deno.test("HTTP/1.1: a request pipelined behind one whose client left is not served", async () => {
  await using upstream = startHangingBackend();
  await using gw = await startPort(upstream);
  const both = new Uint8Array([...get("/hang"), ...get("/ok-pipelined")]);
  await sendAndLeave(gw.port, upstream, both, "/hang");
  await nextSucceeds(gw.port, upstream, "/ok-later", undefined);
  assertEquals(upstream.paths, ["/hang", "/ok-later"]);
});

Deno.test("HTTP/1.1: a client that leaves after sending its whole body cancels the call", async () => {
  await using upstream = startHangingBackend();
  await using gw = await startPort(upstream);
  await sendAndLeave(
    gw.port,
    upstream,
    encoder.encode("POST /hang-post HTTP/1.1\r\nHost: a.example\r\ncontent-length: 5\r\n\r\nhello"),
    "/hang-post",
  );
  assertEquals(gw.statuses, [499]);
});

Deno.test("HTTP/1.1: a client that leaves while the body streams closes the backend connection", async () => {
  await using upstream = startHangingBackend();
  await using gw = await startPort(upstream);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
  await conn.write(get("/stream"));
  await readUntil(conn, "hello");
  conn.close();
  await upstream.closed("/stream");
  await nextSucceeds(gw.port, upstream, "/ok-after", undefined);
});

Deno.test("HTTP/1.1 with the access log: the line of a request whose client left says 499", async () => {
  await using upstream = startHangingBackend();
  await using gw = await startPort(upstream, { accessLog: true });
  await sendAndLeave(gw.port, upstream, get("/hang"), "/hang");
  await nextSucceeds(gw.port, upstream, "/ok-after", undefined);
  const lines = gw.logs.filter((l) => l.msg === "request");
  assertEquals(lines.map((l) => [l.path, l.status]), [["/hang", 499], ["/ok-after", 200]]);
  assertEquals(gw.upstreamErrors, []);
});

Deno.test("Deno's engine: a client that closes before the answer closes the backend connection", async () => {
  await using upstream = startHangingBackend();
  await using gw = await startPort(upstream, { engine: "deno" });
  await sendAndLeave(gw.port, upstream, get("/hang"), "/hang");
  await nextSucceeds(gw.port, upstream, "/ok-after", undefined);
  assertEquals(gw.upstreamErrors, []);
});

Deno.test("Deno's engine: a client that leaves while the body streams closes the backend connection", async () => {
  await using upstream = startHangingBackend();
  await using gw = await startPort(upstream, { engine: "deno" });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
  await conn.write(get("/stream"));
  await readUntil(conn, "hello");
  conn.close();
  await upstream.closed("/stream");
});

/** An HTTP/2 session to the port: h2c by prior knowledge, or TLS with `ca`. */
function h2Session(port: number, ca?: string): http2.ClientHttp2Session {
  const session = ca === undefined
    ? http2.connect(`http://127.0.0.1:${port}`)
    : http2.connect(`https://127.0.0.1:${port}`, { ca });
  session.on("error", () => {});
  return session;
}

function h2Request(session: http2.ClientHttp2Session, path: string): http2.ClientHttp2Stream {
  const stream = session.request({ ":path": path, ":authority": "a.example" });
  stream.on("error", () => {});
  return stream;
}

for (const protocol of ["HTTP", "HTTPS"] as const) {
  const name = protocol === "HTTPS" ? "h2 over TLS" : "h2c";
  Deno.test(`${name}: RST_STREAM from the client closes the backend connection`, async () => {
    await using upstream = startHangingBackend();
    await using gw = await startPort(upstream, { protocol });
    const session = h2Session(gw.port, protocol === "HTTPS" ? gw.caPem : undefined);
    try {
      const stream = h2Request(session, "/hang");
      await upstream.received("/hang");
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await upstream.closed("/hang");
      // The connection itself carries on.
      const ok = h2Request(session, "/ok-after");
      let body = "";
      ok.setEncoding("utf8");
      ok.on("data", (d: string) => body += d);
      await new Promise((resolve) => ok.on("end", resolve));
      assertEquals(body, "ok");
    } finally {
      session.destroy();
    }
    assertEquals(gw.upstreamErrors, []);
  });

  Deno.test(`${name}: RST_STREAM on a request with a body (the Request path) closes the backend connection`, async () => {
    await using upstream = startHangingBackend();
    await using gw = await startPort(upstream, { protocol });
    const session = h2Session(gw.port, protocol === "HTTPS" ? gw.caPem : undefined);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/hang-post",
        ":authority": "a.example",
        "content-length": "5",
      });
      stream.on("error", () => {});
      stream.end("hello");
      await upstream.received("/hang-post");
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await upstream.closed("/hang-post");
    } finally {
      session.destroy();
    }
    assertEquals(gw.upstreamErrors, []);
  });

  Deno.test(`${name}: a connection that drops closes each open stream's backend connection`, async () => {
    await using upstream = startHangingBackend();
    await using gw = await startPort(upstream, { protocol });
    const session = h2Session(gw.port, protocol === "HTTPS" ? gw.caPem : undefined);
    h2Request(session, "/hang-1");
    h2Request(session, "/hang-2");
    await upstream.received("/hang-1");
    await upstream.received("/hang-2");
    session.destroy();
    await upstream.closed("/hang-1");
    await upstream.closed("/hang-2");
    await nextSucceeds(gw.port, upstream, "/ok-after", protocol === "HTTPS" ? gw.caPem : undefined);
  });
}

Deno.test("h2c: GOAWAY and close from the client closes the backend connection", async () => {
  await using upstream = startHangingBackend();
  await using gw = await startPort(upstream);
  const session = h2Session(gw.port);
  h2Request(session, "/hang");
  await upstream.received("/hang");
  session.goaway(http2.constants.NGHTTP2_NO_ERROR);
  session.destroy();
  await upstream.closed("/hang");
});

Deno.test("an HTTP/2 backend: the client leaving resets the backend's stream (HTTP/1.1 and h2c clients)", async () => {
  await using upstream = await startHangingH2Backend();
  await using gw = await startPort(upstream, { backendProtocol: "h2c" });
  await sendAndLeave(gw.port, upstream, get("/hang-h1"), "/hang-h1");
  const session = h2Session(gw.port);
  try {
    const stream = h2Request(session, "/hang-h2");
    await upstream.received("/hang-h2");
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await upstream.closed("/hang-h2");
  } finally {
    session.destroy();
  }
  const cancel = http2.constants.NGHTTP2_CANCEL;
  assertEquals([upstream.rstCodes.get("/hang-h1"), upstream.rstCodes.get("/hang-h2")], [
    cancel,
    cancel,
  ]);
  // The backend's session carries on: the next request goes through it.
  const answer = await getOnce(gw.port, "/ok-after");
  assert(answer.startsWith("HTTP/1.1 200"), answer);
  assertEquals(upstream.h2.sessions(), 1);
  assertEquals(gw.upstreamErrors, []);
});

Deno.test("an HTTP/2 backend: a client that leaves while the body streams resets the backend's stream", async () => {
  await using upstream = await startHangingH2Backend();
  await using gw = await startPort(upstream, { backendProtocol: "h2c" });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
  await conn.write(get("/stream"));
  await readUntil(conn, "hello");
  conn.close();
  await upstream.closed("/stream");
  assertEquals(upstream.rstCodes.get("/stream"), http2.constants.NGHTTP2_CANCEL);
});
