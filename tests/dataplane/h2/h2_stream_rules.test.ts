/**
 * Stream rules of RFC 9113 that the h2spec conformance run (`deno task
 * h2spec`) checks, each proven here through a real socket on its own: DATA
 * on a closed stream (§5.1), a HEADERS frame whose priority names its own
 * stream (§5.3.1), and a body that contradicts its `content-length`
 * (§8.1.1).
 */
import { assertEquals } from "@std/assert";
import { encodeFrame, ErrorCode, Flag, FrameType } from "../../../src/dataplane/h2/h2_frames.ts";
import { errorCodeOf, RawH2Client, requestFields } from "../../_helpers/h2_raw_client.ts";
import { startH2Server } from "./_h2_test_server.ts";

const text = (s: string) => new TextEncoder().encode(s);
/** A response whose body fails: the server resets the stream with INTERNAL_ERROR. */
const failingBody = () =>
  new Response(new ReadableStream({ pull: (c) => c.error(new Error("the backend failed")) }));

/** The connection still serves: a new stream gets its 200. */
async function stillServes(client: RawH2Client, id: number): Promise<void> {
  await client.send(client.headers(id, requestFields()));
  assertEquals((await client.response(id)).status, 200);
}

Deno.test("h2 rules: DATA after the client reset a stream is a STREAM_CLOSED stream error", async () => {
  await using server = startH2Server({ handler: () => new Promise<Response>(() => {}) });
  const client = await RawH2Client.connect(server.port);
  const reset = await client.answerTo(
    1,
    client.headers(1, requestFields("/", "POST"), false),
    encodeFrame(FrameType.RST_STREAM, 0, 1, new Uint8Array([0, 0, 0, 8])),
    encodeFrame(FrameType.DATA, 0, 1, text("late")),
  );
  assertEquals(reset?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.STREAM_CLOSED);
  client.close();
});

Deno.test("h2 rules: DATA on a stream both sides ended is a STREAM_CLOSED stream error", async () => {
  await using server = startH2Server();
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields()));
  assertEquals((await client.response(1)).status, 200);
  const reset = await client.answerTo(
    1,
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, text("late")),
  );
  assertEquals(reset?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.STREAM_CLOSED);
  await stillServes(client, 3);
  client.close();
});

Deno.test("h2 rules: DATA in flight for a stream the server reset is dropped quietly", async () => {
  await using server = startH2Server({ handler: failingBody });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/", "POST"), false));
  const reset = await client.until((f) => f.type === FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.INTERNAL_ERROR);
  await client.send(encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, text("in flight")));
  await client.send(client.headers(3, requestFields()));
  const next = await client.until((f) => f.streamId !== 0);
  assertEquals([next?.type, next?.streamId], [FrameType.HEADERS, 3]);
  client.close();
});

Deno.test("h2 rules: DATA after both sides reset a stream is a STREAM_CLOSED stream error", async () => {
  await using server = startH2Server({ handler: failingBody });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/", "POST"), false));
  const first = await client.until((f) => f.type === FrameType.RST_STREAM);
  assertEquals(errorCodeOf(first!), ErrorCode.INTERNAL_ERROR);
  const reset = await client.answerTo(
    1,
    encodeFrame(FrameType.RST_STREAM, 0, 1, new Uint8Array([0, 0, 0, 8])),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, text("after both resets")),
  );
  assertEquals(reset?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.STREAM_CLOSED);
  client.close();
});

Deno.test("h2 rules: a HEADERS frame depending on its own stream is a PROTOCOL_ERROR stream error", async () => {
  await using server = startH2Server();
  const client = await RawH2Client.connect(server.port);
  const priority = new Uint8Array([0, 0, 0, 1, 15]); // Depends on stream 1, weight 16.
  const block = client.encoder.encode(requestFields());
  const payload = new Uint8Array(priority.length + block.length);
  payload.set(priority);
  payload.set(block, priority.length);
  const flags = Flag.END_HEADERS | Flag.END_STREAM | Flag.PRIORITY;
  const reset = await client.answerTo(1, encodeFrame(FrameType.HEADERS, flags, 1, payload));
  assertEquals(reset?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.PROTOCOL_ERROR);
  // The block was decoded all the same: the next one, indexed against it, still works.
  await stillServes(client, 3);
  client.close();
});

Deno.test("h2 rules: a body shorter or longer than its content-length is a PROTOCOL_ERROR stream error", async () => {
  await using server = startH2Server({
    handler: async (request) => new Response(await request.text().catch(() => "failed")),
  });
  const client = await RawH2Client.connect(server.port);
  const post = requestFields("/", "POST", [["content-length", "4"]]);
  const cases: [string, Uint8Array[]][] = [
    ["one frame short", [encodeFrame(FrameType.DATA, Flag.END_STREAM, 0, text("abc"))]],
    ["two frames long", [
      encodeFrame(FrameType.DATA, 0, 0, text("abc")),
      encodeFrame(FrameType.DATA, Flag.END_STREAM, 0, text("de")),
    ]],
  ];
  let id = 1;
  for (const [why, frames] of cases) {
    // The stream id goes into each frame's header (bytes 5-8).
    const data = frames.map((f) => {
      const copy = f.slice();
      new DataView(copy.buffer).setUint32(5, id);
      return copy;
    });
    const reset = await client.answerTo(id, client.headers(id, post, false), ...data);
    assertEquals(reset?.type, FrameType.RST_STREAM, why);
    assertEquals(errorCodeOf(reset!), ErrorCode.PROTOCOL_ERROR, why);
    id += 2;
  }
  await client.send(
    client.headers(id, post, false),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, id, text("abcd")),
  );
  assertEquals(await (await client.response(id)).text(), "abcd");
  client.close();
});

Deno.test("h2 rules: a Host field naming another origin than :authority is a PROTOCOL_ERROR stream error (§8.3.1)", async () => {
  const seen: string[] = [];
  await using server = startH2Server({
    handler: (request) => {
      seen.push(`${new URL(request.url).host} ${request.headers.get("host")}`);
      return new Response("ok");
    },
  });
  const client = await RawH2Client.connect(server.port);
  const withHost = (host: string) => requestFields("/", "GET", [["host", host]]);
  // :authority is example.com (requestFields) and :scheme http.
  for (const [id, host] of [[1, "other.example"], [3, "example.com.evil"]] as const) {
    const reset = await client.answerTo(id, client.headers(id, withHost(host)));
    assertEquals(reset?.type, FrameType.RST_STREAM, host);
    assertEquals(errorCodeOf(reset!), ErrorCode.PROTOCOL_ERROR, host);
  }
  // The same origin, told in other case or with the scheme's default port, is served.
  for (
    const [id, host] of [[5, "Example.COM"], [7, "example.com:80"], [9, "example.com"]] as const
  ) {
    await client.send(client.headers(id, withHost(host)));
    assertEquals((await client.response(id)).status, 200, host);
  }
  assertEquals(seen, [
    "example.com Example.COM",
    "example.com example.com:80",
    "example.com example.com",
  ]);
  client.close();
});
