/**
 * The HTTP/2 upstream client against a `node:http2` backend: what goes on
 * the wire (`:authority` and no `Host`, no connection-specific header),
 * streamed bodies both ways, trailers, timeouts and failures by kind.
 */
import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { createH2Client } from "../../src/dataplane/upstream_h2.ts";
import { ClientBodyError } from "../../src/dataplane/request_body.ts";
import {
  type UpstreamCallOptions,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "../../src/dataplane/upstream_types.ts";
import type { BackendTlsConfig } from "../../src/model/config.ts";
import { createTestCa } from "../_helpers/certs.ts";
import {
  encodeFrame,
  ErrorCode,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  PREFACE,
  rstStreamFrame,
  settingsFrame,
} from "../../src/dataplane/h2/h2_frames.ts";
import { FrameWriter } from "../../src/dataplane/h2/h2_frame_writer.ts";
import { HpackEncoder } from "../../src/dataplane/h2/hpack_encoder.ts";
import { startH2Backend } from "../_helpers/h2_backend.ts";
import { type LoopbackServer, serveLoopback } from "../_helpers/loopback_server.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** The headers but `date`, which node:http2 servers add. */
const withoutDate = (headers: [string, string][]) => headers.filter(([name]) => name !== "date");

const drain = async (res: UpstreamResponse) =>
  await new Response(res.body as ReadableStream<Uint8Array>).text();

function get(headers: string[] = ["host", "app.example.com"]): UpstreamRequest {
  return { method: "GET", target: "/x?y=1", headers, body: null, contentLength: 0 };
}

Deno.test("the request carries :authority from Host, no Host and no connection-specific header", async () => {
  await using backend = await startH2Backend((stream) => {
    stream.respond({ ":status": 200, "content-length": "2", "x-out": "o" });
    stream.end("ok");
  });
  const client = createH2Client();
  try {
    const res = await client.request(
      { address: "127.0.0.1", port: backend.port },
      get([
        "Host",
        "app.example.com",
        "connection",
        "x-private",
        "keep-alive",
        "timeout=5",
        "proxy-connection",
        "keep-alive",
        "transfer-encoding",
        "chunked",
        "upgrade",
        "websocket",
        "te",
        "gzip",
        "x-private",
        "secret",
        "x-multi",
        "1",
        "x-multi",
        "2",
        "accept-encoding",
        "gzip",
      ]),
      { timeoutMs: 0 },
    );
    assertEquals(res.status, 200);
    assertEquals(res.contentLength, 2);
    assertEquals(withoutDate(res.headers), [["x-out", "o"]]);
    assertEquals(
      new TextDecoder().decode(
        await new Response(res.body as ReadableStream<Uint8Array>).arrayBuffer(),
      ),
      "ok",
    );
    const seen = backend.requests[0];
    assertEquals(seen[":authority"], "app.example.com");
    assertEquals(seen[":path"], "/x?y=1");
    assertEquals(seen[":scheme"], "http");
    assertEquals(seen["te"], "trailers");
    assertEquals(seen["accept-encoding"], "gzip");
    assertEquals(seen["x-multi"], "1, 2");
    for (const name of ["host", "connection", "keep-alive", "proxy-connection", "upgrade"]) {
      assertEquals(seen[name], undefined, name);
    }
    assertEquals(seen["transfer-encoding"], undefined);
    assertEquals(seen["x-private"], undefined);
  } finally {
    client.close();
  }
});

Deno.test("the request body streams to the backend before the client ends it; trailers come back", async () => {
  let firstChunk = "";
  await using backend = await startH2Backend((stream) => {
    stream.once("data", (chunk) => {
      firstChunk = String(chunk);
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      stream.write("first;");
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.on("data", (more) => stream.write(`echo:${more};`));
      stream.on("end", () => stream.end());
    });
  });
  const client = createH2Client();
  try {
    let upload!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (upload = c) });
    upload.enqueue(text("one"));
    const res = await client.request({ address: "127.0.0.1", port: backend.port }, {
      method: "POST",
      target: "/up",
      headers: ["host", "a"],
      body,
      contentLength: null,
    }, { timeoutMs: 0 });
    // The answer began while the upload is still open.
    assertEquals(firstChunk, "one");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    assertEquals(new TextDecoder().decode((await reader.read()).value), "first;");
    upload.enqueue(text("two"));
    assertEquals(new TextDecoder().decode((await reader.read()).value), "echo:two;");
    upload.close();
    assert((await reader.read()).done);
    assertEquals(await res.trailers, [["grpc-status", "0"]]);
  } finally {
    client.close();
  }
});

Deno.test("HEAD, 204 and a response that ends with its headers have no body", async () => {
  await using backend = await startH2Backend((stream, headers) => {
    if (headers[":path"] === "/204") return stream.respond({ ":status": 204 }, { endStream: true });
    if (headers[":method"] === "HEAD") {
      return stream.respond({ ":status": 200, "content-length": "10" }, { endStream: true });
    }
    stream.respond({ ":status": 200, "grpc-status": "5" }, { endStream: true });
  });
  const client = createH2Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    const head = await client.request(ep, { ...get(), method: "HEAD" }, { timeoutMs: 0 });
    assertEquals([head.status, head.body], [200, null]);
    const empty = await client.request(ep, { ...get(), target: "/204" }, { timeoutMs: 0 });
    assertEquals([empty.status, empty.body], [204, null]);
    const only = await client.request(ep, get(), { timeoutMs: 0 });
    assertEquals([only.body, withoutDate(only.headers)], [null, [["grpc-status", "5"]]]);
  } finally {
    client.close();
  }
});

Deno.test("failures by kind: refused is connect, no answer in time is timeout, a reset is reset", async () => {
  await using backend = await startH2Backend((stream, headers) => {
    if (headers[":path"] === "/reset") stream.close(2);
    // "/silent": never answered.
  });
  const client = createH2Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    const kind = async (p: Promise<unknown>) => {
      const error = await assertRejects(() => p);
      assertInstanceOf(error, UpstreamError);
      return error.kind;
    };
    const refused = { address: "127.0.0.1", port: freePort() };
    assertEquals(await kind(client.request(refused, get(), { timeoutMs: 0 })), "connect");
    const silent = client.request(ep, { ...get(), target: "/silent" }, { timeoutMs: 50 });
    assertEquals(await kind(silent), "timeout");
    const reset = client.request(ep, { ...get(), target: "/reset" }, { timeoutMs: 0 });
    assertEquals(await kind(reset), "reset");
  } finally {
    client.close();
  }
});

Deno.test("a request node:http2 cannot open a stream for fails as a connect error, not a ReferenceError", async () => {
  await using backend = await startH2Backend((stream) => {
    stream.respond({ ":status": 200 });
    stream.end();
  });
  const client = createH2Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    // A field name with a space: the stream is refused before it opens.
    const refused = client.request(ep, get(["host", "a.example", "bad name", "x"]), {
      timeoutMs: 0,
    });
    const error = await assertRejects(() => refused);
    assertInstanceOf(error, UpstreamError);
    assertEquals(error.kind, "connect");
    // The session is still good for the next request.
    assertEquals((await client.request(ep, get(), { timeoutMs: 0 })).status, 200);
  } finally {
    client.close();
  }
});

Deno.test("a client that aborts its upload fails the call as a client body error and resets the stream", async () => {
  let backendSawReset = false;
  await using backend = await startH2Backend((stream) => {
    stream.on("close", () => backendSawReset = stream.rstCode !== 0);
    stream.resume();
  });
  const client = createH2Client();
  try {
    let upload!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (upload = c) });
    upload.enqueue(text("partial"));
    const call = client.request({ address: "127.0.0.1", port: backend.port }, {
      method: "POST",
      target: "/up",
      headers: ["host", "a"],
      body,
      contentLength: 1000,
    }, { timeoutMs: 0 });
    await waitFor("the backend sees the upload", () => backend.requests.length === 1);
    upload.error(new Error("client went away"));
    await assertRejects(() => call, ClientBodyError);
    await waitFor("the backend sees the stream reset", () => backendSawReset);
  } finally {
    client.close();
  }
});

Deno.test("under a BackendTLSPolicy: HTTP/2 over TLS with ALPN h2, the policy's CA, SNI and names", async () => {
  await using ca = await createTestCa("h2 backend CA");
  const leaf = await ca.issue(["grpc.example.com"]);
  await using backend = await startH2Backend((stream, headers) => {
    stream.respond({ ":status": 200, "x-scheme": String(headers[":scheme"]) });
    stream.end("secure");
  }, { tls: leaf });
  // A TLS server that speaks only HTTP/1.1 (ALPN), accepting handshakes and nothing more.
  const http1Only = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: leaf.certPem,
    key: leaf.keyPem,
    alpnProtocols: ["http/1.1"],
  });
  (async () => {
    for await (const conn of http1Only) {
      conn.handshake().catch(() => {}).finally(() => conn.close());
    }
  })();
  const tls = (over: Partial<BackendTlsConfig> = {}): BackendTlsConfig => ({
    policy: "backendtlspolicy/default/p",
    serverName: "grpc.example.com",
    caCertificates: [ca.certPem],
    ...over,
  });
  const client = createH2Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    const ok = await client.request(ep, get(), { timeoutMs: 0, tls: tls() });
    assertEquals([ok.status, await drain(ok)], [200, "secure"]);
    assertEquals(backend.requests[0][":scheme"], "https");
    const failure = async (options: UpstreamCallOptions, at = ep) => {
      const error = await assertRejects(() => client.request(at, get(), options));
      assertInstanceOf(error, UpstreamError);
      return `${error.kind}: ${error.message}`;
    };
    const wrongName = await failure({
      timeoutMs: 0,
      tls: tls({ serverName: "other.example.com" }),
    });
    assert(wrongName.startsWith("connect: Cannot open TLS to"), wrongName);
    const sanMismatch = await failure({
      timeoutMs: 0,
      tls: tls({ subjectAltNames: [{ type: "Hostname", value: "nope.example.com" }] }),
    });
    assert(sanMismatch.includes("match no subjectAltName"), sanMismatch);
    const noAlpn = await failure(
      { timeoutMs: 0, tls: tls() },
      { address: "127.0.0.1", port: http1Only.addr.port },
    );
    assert(/^(connect|protocol): Cannot open/.test(noAlpn), noAlpn);
  } finally {
    client.close();
    http1Only.close();
  }
});

/**
 * A raw HTTP/2 backend that answers every request with HEADERS and one DATA
 * frame, then resets the stream with `code` instead of ending it.
 */
function startResettingBackend(code: number): LoopbackServer {
  const serve = async (conn: Deno.Conn) => {
    await conn.write(settingsFrame([]));
    const frames = new FrameReader(1 << 20);
    let preface = false;
    for await (const bytes of conn.readable) {
      frames.push(bytes);
      if (!preface && frames.take(PREFACE.length) === undefined) continue;
      preface = true;
      for (let f = frames.next(); f !== undefined; f = frames.next()) {
        const frame = f as Frame;
        if (frame.type === FrameType.SETTINGS && (frame.flags & Flag.ACK) === 0) {
          await conn.write(settingsFrame([], true));
        }
        if (frame.type !== FrameType.HEADERS) continue;
        const block = new HpackEncoder().encode([[":status", "200"]]);
        const head = new FrameWriter();
        head.headers(frame.streamId, block, false, 16_384);
        await conn.write(head.take());
        await conn.write(encodeFrame(FrameType.DATA, 0, frame.streamId, text("part")));
        await conn.write(rstStreamFrame(frame.streamId, code));
      }
    }
  };
  return serveLoopback(serve);
}

Deno.test("a response the backend resets mid-body with CANCEL fails its body instead of ending it", async () => {
  await using backend = startResettingBackend(ErrorCode.CANCEL);
  const client = createH2Client();
  try {
    const res = await client.request(
      { address: "127.0.0.1", port: backend.port },
      get(),
      { timeoutMs: 0 },
    );
    assertEquals(res.status, 200);
    const error = await assertRejects(() => drain(res));
    assert(String(error).includes("reset the response stream (code 8)"), String(error));
  } finally {
    client.close();
  }
});
