/**
 * A stream whose response ended before its request is half-closed (local)
 * (RFC 9113 §5.1): the client's later frames on it are still held to the
 * stream rules, its DATA is dropped without costing the connection window,
 * and RST_STREAM NO_ERROR (§8.1) comes only once the client has spent the
 * stream's window without ending the request. Every test answers first and
 * sends the rest of the request after the whole response arrived, so
 * nothing depends on how fast either side is.
 */
import { assertEquals } from "@std/assert";
import {
  concatBytes,
  encodeFrame,
  ErrorCode,
  Flag,
  FrameType,
  windowUpdateFrame,
} from "../../../src/dataplane/h2/h2_frames.ts";
import { errorCodeOf, RawH2Client, requestFields } from "../../_helpers/h2_raw_client.ts";
import { startH2Server } from "./_h2_test_server.ts";

const text = (s: string) => new TextEncoder().encode(s);
const early = () => new Response("early");
const post = (extra: [string, string][] = []) => requestFields("/", "POST", extra);

/** `size` body bytes on `id` as DATA frames of at most 16 KiB, the last one ending the stream if `end`. */
function dataFrames(id: number, size: number, end: boolean): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let at = 0; at < size; at += 16_384) {
    const n = Math.min(16_384, size - at);
    const last = at + n >= size;
    frames.push(
      encodeFrame(FrameType.DATA, last && end ? Flag.END_STREAM : 0, id, new Uint8Array(n)),
    );
  }
  return concatBytes(frames);
}

/** Opens stream `id` without ending it and reads the server's whole (early) answer. */
async function answeredEarly(client: RawH2Client, id: number, fields = post()): Promise<void> {
  await client.send(client.headers(id, fields, false));
  assertEquals(await (await client.response(id)).text(), "early");
}

Deno.test("h2 half-closed: a body that contradicts its content-length after the answer is a PROTOCOL_ERROR stream error", async () => {
  await using server = startH2Server({ handler: early });
  const client = await RawH2Client.connect(server.port);
  await answeredEarly(client, 1, post([["content-length", "4"]]));
  const reset = await client.answerTo(
    1,
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, text("abc")),
  );
  assertEquals(reset?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.PROTOCOL_ERROR);
  client.close();
});

Deno.test("h2 half-closed: trailers without END_STREAM after the answer are a PROTOCOL_ERROR stream error", async () => {
  await using server = startH2Server({ handler: early });
  const client = await RawH2Client.connect(server.port);
  await answeredEarly(client, 1);
  const reset = await client.answerTo(
    1,
    encodeFrame(FrameType.DATA, 0, 1, text("test")),
    client.headers(1, [["x-test", "ok"]], false),
  );
  assertEquals(reset?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.PROTOCOL_ERROR);
  client.close();
});

Deno.test("h2 half-closed: a WINDOW_UPDATE of 0 on an answered stream is a PROTOCOL_ERROR stream error", async () => {
  await using server = startH2Server({ handler: early });
  const client = await RawH2Client.connect(server.port);
  await answeredEarly(client, 1);
  const reset = await client.answerTo(1, windowUpdateFrame(1, 0));
  assertEquals(reset?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.PROTOCOL_ERROR);
  client.close();
});

Deno.test("h2 half-closed: a request that ends after its answer closes the stream without a reset; later DATA is STREAM_CLOSED", async () => {
  await using server = startH2Server({ handler: early });
  const client = await RawH2Client.connect(server.port);
  await answeredEarly(client, 1);
  const ended = await client.answerTo(
    1,
    encodeFrame(FrameType.DATA, 0, 1, text("more")),
    client.headers(1, [["x-trailer", "ok"]], true),
  );
  assertEquals(ended?.type, FrameType.PING, "no reset for a request that ends well");
  const late = await client.answerTo(1, encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, text("x")));
  assertEquals(late?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(late!), ErrorCode.STREAM_CLOSED);
  client.close();
});

Deno.test("h2 half-closed: once the client spent the stream's window without ending the request, RST_STREAM NO_ERROR", async () => {
  await using server = startH2Server({ handler: early, limits: { streamWindow: 4096 } });
  const client = await RawH2Client.connect(server.port);
  await answeredEarly(client, 1);
  // Dropped bytes do not reopen the stream's window: 4000 of its 4096 are spent.
  assertEquals((await client.answerTo(1, dataFrames(1, 4000, false)))?.type, FrameType.PING);
  const reset = await client.answerTo(1, dataFrames(1, 96, false));
  assertEquals(reset?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(reset!), ErrorCode.NO_ERROR);
  // DATA the client had in flight when it was asked to stop is dropped quietly.
  assertEquals((await client.answerTo(1, dataFrames(1, 10, true)))?.type, FrameType.PING);
  await client.send(client.headers(3, requestFields()));
  assertEquals((await client.response(3)).status, 200);
  client.close();
});

Deno.test("h2 half-closed: body bytes left unread when the answer ended go back to the connection window", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  await using server = startH2Server({
    handler: () => gate.then(early),
    limits: { connectionWindow: 65_535, streamWindow: 40_000 },
  });
  const client = await RawH2Client.connect(server.port);
  // 40,000 bytes queued unread (the PING's ACK says the server has them), then the answer.
  await client.send(client.headers(1, post(), false));
  assertEquals((await client.answerTo(1, dataFrames(1, 40_000, false)))?.type, FrameType.PING);
  release();
  assertEquals(await (await client.response(1)).text(), "early");
  // Another 40,000 fit in the 65,535 only if those were credited back.
  await client.send(client.headers(3, post(), false), dataFrames(3, 40_000, true));
  assertEquals(await (await client.response(3)).text(), "early");
  assertEquals((await client.answerTo(3))?.type, FrameType.PING, "no FLOW_CONTROL_ERROR");
  client.close();
});

Deno.test("h2 half-closed: the handler's request completes with its answer; shutdown does not wait for the rest", async () => {
  let completed: Promise<void> | undefined;
  await using server = startH2Server({
    handler: (_request, info) => {
      completed = info.completed;
      return early();
    },
  });
  const client = await RawH2Client.connect(server.port);
  await answeredEarly(client, 1);
  await completed;
  await server.served[0].shutdown();
  const goaway = await client.goaway();
  assertEquals(goaway && errorCodeOf(goaway), ErrorCode.NO_ERROR);
  assertEquals(await client.rest(), [], "the connection closed after the GOAWAY");
  client.close();
});
