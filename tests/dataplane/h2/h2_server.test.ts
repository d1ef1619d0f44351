/**
 * The HTTP/2 server through a real socket, driven frame by frame: the
 * request/response bridge (bodies, trailers, Trailers-Only), flow control in
 * both directions, §8.3 validation, stream-state errors and graceful
 * shutdown.
 */
import { assert, assertEquals } from "@std/assert";
import {
  ErrorCode,
  Flag,
  FrameType,
  PREFACE,
  readUint31,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from "../../../src/dataplane/h2/h2_frames.ts";
import { attachTrailers } from "../../../src/dataplane/response_trailers.ts";
import { errorCodeOf, RawH2Client, requestFields } from "../../_helpers/h2_raw_client.ts";
import { startH2Server } from "./_h2_test_server.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("h2: a GET gets headers, body and the trailers recorded for the response", async () => {
  await using server = startH2Server({
    handler: (request, info) =>
      attachTrailers(
        new Response(`${request.method} ${request.url} ${info.remoteAddr.hostname}`, {
          headers: { "x-a": "1", "connection": "close" },
        }),
        Promise.resolve([["grpc-status", "0"], ["grpc-message", "fine"]]),
      ),
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/p?q=1")));
  const res = await client.response(1);
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("x-a"), "1");
  assertEquals(res.headers.get("connection"), null, "connection-specific fields are dropped");
  assertEquals(await res.text(), "GET http://example.com/p?q=1 127.0.0.1");
  assertEquals(res.trailers, [["grpc-status", "0"], ["grpc-message", "fine"]]);
  client.close();
});

Deno.test("h2: a response without body or trailers is one HEADERS frame ending the stream", async () => {
  await using server = startH2Server({
    handler: () => new Response(null, { headers: { "grpc-status": "12" } }),
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/svc/M", "POST")));
  const f = await client.until((f) => f.streamId === 1);
  assertEquals(f?.type, FrameType.HEADERS);
  assertEquals((f!.flags & Flag.END_STREAM) !== 0, true);
  assert(client.decode(f!).some(([n, v]) => n === "grpc-status" && v === "12"));
  client.close();
});

Deno.test("h2: request bodies stream, and the window reopens only as the handler reads", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  await using server = startH2Server({
    limits: { streamWindow: 65_535, connectionWindow: 65_535 },
    handler: async (request) => {
      const reader = request.body!.getReader();
      const first = await reader.read();
      await gate;
      let total = first.value!.length;
      for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length;
      return new Response(`got ${total}`);
    },
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/up", "POST"), false));
  const chunk = new Uint8Array(16_384);
  await client.send(client.frame(FrameType.DATA, 0, 1, chunk));
  // Nothing was credited yet beyond what was read: the first frame, once read, is below half the window.
  await client.send(
    client.frame(FrameType.DATA, 0, 1, chunk),
    client.frame(FrameType.DATA, 0, 1, chunk),
    client.frame(FrameType.DATA, 0, 1, chunk.subarray(0, 16_383)),
  );
  release();
  const update = await client.until((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 1);
  assert(update !== undefined && readUint31(update.payload, 0) >= 32_768);
  await client.send(client.frame(FrameType.DATA, Flag.END_STREAM, 1, text("end")));
  const res = await client.response(1);
  assertEquals(await res.text(), `got ${16_384 * 3 + 16_383 + 3}`);
  client.close();
});

Deno.test("h2: a stream holds at most its window of unread body: more is a FLOW_CONTROL_ERROR", async () => {
  await using server = startH2Server({
    limits: { streamWindow: 65_535 },
    handler: () => new Promise<Response>(() => {}),
  });
  const client = await RawH2Client.connect(server.port);
  const chunk = new Uint8Array(16_384);
  await client.send(
    client.headers(1, requestFields("/up", "POST"), false),
    client.frame(FrameType.DATA, 0, 1, chunk),
    client.frame(FrameType.DATA, 0, 1, chunk),
    client.frame(FrameType.DATA, 0, 1, chunk),
    client.frame(FrameType.DATA, 0, 1, chunk.subarray(0, 16_383)),
    client.frame(FrameType.DATA, 0, 1, new Uint8Array(1)),
  );
  const f = await client.until((f) => f.streamId === 1);
  assertEquals(f?.type, FrameType.RST_STREAM, "no WINDOW_UPDATE before the handler reads");
  assertEquals(errorCodeOf(f!), ErrorCode.FLOW_CONTROL_ERROR);
  client.close();
});

Deno.test("h2: a response respects the client's stream window and frame size", async () => {
  const body = new Uint8Array(40_000).fill(7);
  await using server = startH2Server({ handler: () => new Response(body) });
  const client = await RawH2Client.connect(server.port, false);
  await client.send(PREFACE, settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 1000]]));
  await client.send(client.headers(1, requestFields()));
  let received = 0;
  while (received < 1000) {
    const f = await client.until((f) => f.type === FrameType.DATA && f.streamId === 1);
    received += f!.payload.length;
  }
  assertEquals(received, 1000, "no byte beyond the window");
  await client.send(windowUpdateFrame(1, 100_000));
  while (received < body.length) {
    const f = await client.until((f) => f.type === FrameType.DATA && f.streamId === 1);
    assert(f!.payload.length <= 16_384);
    received += f!.payload.length;
  }
  assertEquals(received, body.length);
  client.close();
});

Deno.test("h2: malformed requests are reset with PROTOCOL_ERROR and the connection carries on", async () => {
  await using server = startH2Server();
  const client = await RawH2Client.connect(server.port);
  const cases: [string, [string, string][]][] = [
    ["upper-case name", [...requestFields(), ["X-Up", "1"]]],
    ["no :path", requestFields().filter(([n]) => n !== ":path")],
    ["connection field", [...requestFields(), ["connection", "keep-alive"]]],
    ["te other than trailers", [...requestFields(), ["te", "gzip"]]],
    ["pseudo after regular", [["x-a", "1"], ...requestFields()]],
    ["unknown pseudo", [...requestFields(), [":protocol", "websocket"]]],
  ];
  let id = 1;
  for (const [why, fields] of cases) {
    await client.send(client.headers(id, fields));
    const f = await client.until((f) => f.streamId === id);
    assertEquals(f?.type, FrameType.RST_STREAM, why);
    assertEquals(errorCodeOf(f!), ErrorCode.PROTOCOL_ERROR, why);
    id += 2;
  }
  await client.send(client.headers(id, requestFields()));
  assertEquals((await client.response(id)).status, 200);
  client.close();
});

Deno.test("h2: stream-state errors of §5.1 end the connection with their codes", async () => {
  await using server = startH2Server();
  const check = async (frames: (c: RawH2Client) => Uint8Array[], code: number, why: string) => {
    const client = await RawH2Client.connect(server.port);
    await client.send(...frames(client));
    const goaway = await client.goaway();
    assertEquals(goaway && errorCodeOf(goaway), code, why);
    client.close();
  };
  await check(
    (c) => [c.frame(FrameType.DATA, 0, 1, text("x"))],
    ErrorCode.PROTOCOL_ERROR,
    "DATA on idle",
  );
  await check((c) => [c.headers(2, requestFields())], ErrorCode.PROTOCOL_ERROR, "even stream id");
  await check(
    (c) => [c.headers(3, requestFields()), c.headers(1, requestFields())],
    ErrorCode.STREAM_CLOSED,
    "a lower stream id",
  );
  await check(
    (c) => [
      c.frame(FrameType.HEADERS, 0, 1, c.encoder.encode(requestFields())),
      c.frame(FrameType.PING, 0, 0, new Uint8Array(8)),
    ],
    ErrorCode.PROTOCOL_ERROR,
    "a header block interrupted",
  );
  await check(
    (c) => [c.frame(FrameType.RST_STREAM, 0, 5, new Uint8Array(4))],
    ErrorCode.PROTOCOL_ERROR,
    "RST_STREAM on idle",
  );
  await check(
    (c) => [c.frame(FrameType.PING, 0, 0, new Uint8Array(7))],
    ErrorCode.FRAME_SIZE_ERROR,
    "PING of 7 bytes",
  );
  await check(
    (c) => [c.frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, new Uint8Array(4))],
    ErrorCode.PROTOCOL_ERROR,
    "PUSH_PROMISE from a client",
  );
  await check(
    (c) => [c.frame(FrameType.HEADERS, Flag.END_HEADERS, 1, new Uint8Array([0xff, 0xff, 0xff]))],
    ErrorCode.COMPRESSION_ERROR,
    "an undecodable block",
  );
});

Deno.test("h2: a bad preface or a first frame other than SETTINGS is a PROTOCOL_ERROR", async () => {
  await using server = startH2Server();
  const bad = await RawH2Client.connect(server.port, false);
  await bad.send(text("GET / HTTP/1.1\r\nhost: x\r\n\r\nxxxxxxxxxxxxxxx"));
  assertEquals(errorCodeOf((await bad.goaway())!), ErrorCode.PROTOCOL_ERROR);
  bad.close();
  const noSettings = await RawH2Client.connect(server.port, false);
  await noSettings.send(PREFACE, noSettings.frame(FrameType.PING, 0, 0, new Uint8Array(8)));
  assertEquals(errorCodeOf((await noSettings.goaway())!), ErrorCode.PROTOCOL_ERROR);
  noSettings.close();
});

Deno.test("h2: PING is answered, unknown frame types and PRIORITY are ignored", async () => {
  await using server = startH2Server();
  const client = await RawH2Client.connect(server.port);
  const data = text("12345678");
  await client.send(
    client.frame(0x42, 0, 0, text("whatever")),
    client.frame(FrameType.PRIORITY, 0, 1, new Uint8Array(5)),
    client.frame(FrameType.PING, 0, 0, data),
  );
  const ack = await client.until((f) => f.type === FrameType.PING);
  assertEquals(ack!.flags & Flag.ACK, Flag.ACK);
  assertEquals(ack!.payload, data);
  await client.send(client.headers(1, requestFields()));
  assertEquals((await client.response(1)).status, 200);
  client.close();
});

Deno.test("h2: shutdown sends GOAWAY with the last stream and closes after it ends", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let started!: () => void;
  const inHandler = new Promise<void>((resolve) => started = resolve);
  await using server = startH2Server({
    handler: async () => {
      started();
      await gate;
      return new Response("late");
    },
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields()));
  await inHandler;
  const shut = server.served[0].shutdown();
  const goaway = await client.goaway();
  assertEquals(readUint31(goaway!.payload, 0), 1);
  assertEquals(errorCodeOf(goaway!), ErrorCode.NO_ERROR);
  // A stream opened after the GOAWAY is not served.
  await client.send(client.headers(3, requestFields()));
  release();
  const res = await client.response(1);
  assertEquals(await res.text(), "late");
  await shut;
  assertEquals(server.served[0].closed, true);
  const rest = await client.rest();
  assertEquals(rest.filter((f) => f.streamId === 3), []);
  client.close();
});

Deno.test("h2: a client that closes its socket ends the served connection", async () => {
  await using server = startH2Server();
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/")));
  assertEquals((await client.response(1)).status, 200);
  client.close();
  // The socket is read without `Conn.read`'s wrapper, whose end is a read of 0 bytes.
  await server.served[0].finished;
  assertEquals(server.served[0].closed, true);
});

Deno.test("h2: a client's RST_STREAM aborts the handler's request signal with the reset", async () => {
  let signalled!: (reason: unknown) => void;
  const aborted = new Promise<unknown>((resolve) => signalled = resolve);
  await using server = startH2Server({
    handler: (request) => {
      request.signal.addEventListener("abort", () => signalled(request.signal.reason));
      // Answers only once the client's body ends, which it never does.
      return new Response(request.body);
    },
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/upload", "POST"), false));
  await client.send(rstStreamFrame(1, ErrorCode.CANCEL));
  const reason = await aborted;
  assert(reason instanceof Error && reason.message.includes("reset"), String(reason));
  client.close();
});
