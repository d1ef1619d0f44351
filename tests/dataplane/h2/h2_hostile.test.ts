/**
 * Hostile HTTP/2 clients through a real socket, each against its documented
 * default bound: the concurrency limit, rapid reset (CVE-2023-44487),
 * CONTINUATION floods (CVE-2024-27316), SETTINGS/PING/empty-DATA/
 * WINDOW_UPDATE floods, window overflow and oversized frames. The budgets
 * refill with time, so they run on a manual clock: time stands still unless
 * a test advances it.
 */
import { assertEquals } from "@std/assert";
import {
  encodeFrame,
  ErrorCode,
  Flag,
  FrameType,
  MAX_WINDOW,
  PREFACE,
  settingsFrame,
  windowUpdateFrame,
} from "../../../src/dataplane/h2/h2_frames.ts";
import { DEFAULT_H2_LIMITS } from "../../../src/dataplane/h2/h2_limits.ts";
import { FakeClock } from "../../_helpers/fake_clock.ts";
import { errorCodeOf, RawH2Client, requestFields } from "../../_helpers/h2_raw_client.ts";
import { startH2Server } from "./_h2_test_server.ts";

const calm = ErrorCode.ENHANCE_YOUR_CALM;

async function goawayCode(client: RawH2Client): Promise<number | undefined> {
  const goaway = await client.goaway();
  client.close();
  return goaway === undefined ? undefined : errorCodeOf(goaway);
}

Deno.test("h2 hostile: streams past 100 at once are refused with REFUSED_STREAM", async () => {
  await using server = startH2Server({ handler: () => new Promise<Response>(() => {}) });
  const client = await RawH2Client.connect(server.port);
  const max = DEFAULT_H2_LIMITS.maxConcurrentStreams;
  const frames = [];
  for (let i = 0; i <= max; i++) frames.push(client.headers(1 + 2 * i, requestFields()));
  await client.send(...frames);
  const refused = await client.until((f) => f.type === FrameType.RST_STREAM);
  assertEquals(refused?.streamId, 1 + 2 * max);
  assertEquals(errorCodeOf(refused!), ErrorCode.REFUSED_STREAM);
  client.close();
});

Deno.test("h2 hostile: rapid reset past its budget is a GOAWAY with ENHANCE_YOUR_CALM", async () => {
  const clock = new FakeClock();
  await using server = startH2Server({ clock, handler: () => new Promise<Response>(() => {}) });
  const [burst, perSecond] = DEFAULT_H2_LIMITS.resetBudget;
  const resets = (client: RawH2Client, from: number, count: number) => {
    const frames = [];
    for (let i = 0; i < count; i++) {
      const id = from + 2 * i;
      frames.push(client.headers(id, requestFields()));
      frames.push(encodeFrame(FrameType.RST_STREAM, 0, id, new Uint8Array([0, 0, 0, 8])));
    }
    return frames;
  };
  // Within the budget, refilled by time: served on.
  const patient = await RawH2Client.connect(server.port);
  await patient.send(...resets(patient, 1, burst));
  // The PING's answer means every frame before it was handled: only then does time pass.
  await patient.send(patient.frame(FrameType.PING, 0, 0, new Uint8Array(8)));
  await patient.until((f) => f.type === FrameType.PING);
  await clock.advance(1000);
  await patient.send(...resets(patient, 1 + 2 * burst, perSecond));
  await patient.send(patient.frame(FrameType.PING, 0, 0, new Uint8Array(8)));
  const ack = await patient.until((f) => f.type === FrameType.PING || f.type === FrameType.GOAWAY);
  assertEquals(ack?.type, FrameType.PING);
  patient.close();
  // Past it at once: GOAWAY.
  const flood = await RawH2Client.connect(server.port);
  await flood.send(...resets(flood, 1, burst + 1));
  assertEquals(await goawayCode(flood), calm);
});

Deno.test("h2 hostile: a header block over 64 KiB or 64 frames ends the connection before decoding", async () => {
  await using server = startH2Server();
  const big = await RawH2Client.connect(server.port);
  const piece = new Uint8Array(16_384);
  const frames = [encodeFrame(FrameType.HEADERS, 0, 1, piece)];
  for (let i = 0; i < 4; i++) frames.push(encodeFrame(FrameType.CONTINUATION, 0, 1, piece));
  await big.send(...frames);
  assertEquals(await goawayCode(big), calm);

  const many = await RawH2Client.connect(server.port);
  const empty = [encodeFrame(FrameType.HEADERS, 0, 1)];
  for (let i = 0; i < DEFAULT_H2_LIMITS.maxHeaderBlockFrames; i++) {
    empty.push(encodeFrame(FrameType.CONTINUATION, 0, 1));
  }
  await many.send(...empty);
  assertEquals(await goawayCode(many), calm);
});

Deno.test("h2 hostile: SETTINGS, PING, empty DATA and WINDOW_UPDATE floods get ENHANCE_YOUR_CALM", async () => {
  const clock = new FakeClock();
  await using server = startH2Server({ clock, handler: () => new Promise<Response>(() => {}) });
  const flood = async (make: (c: RawH2Client) => Uint8Array[], count: number) => {
    const client = await RawH2Client.connect(server.port);
    const frames = [];
    for (let i = 0; i <= count; i++) frames.push(...make(client));
    await client.send(...frames);
    return await goawayCode(client);
  };
  const L = DEFAULT_H2_LIMITS;
  // The handshake's own SETTINGS frame spends one token.
  assertEquals(await flood(() => [settingsFrame([])], L.settingsBudget[0] - 1), calm);
  assertEquals(
    await flood((c) => [c.frame(FrameType.PING, 0, 0, new Uint8Array(8))], L.pingBudget[0]),
    calm,
  );
  const open = (c: RawH2Client) => c.headers(1, requestFields("/", "POST"), false);
  let first = true;
  assertEquals(
    await flood((c) => {
      const frames = first ? [open(c)] : [];
      first = false;
      return [...frames, c.frame(FrameType.DATA, 0, 1)];
    }, L.emptyDataBudget[0]),
    calm,
  );
  assertEquals(await flood(() => [windowUpdateFrame(0, 1)], L.windowUpdateBudget[0]), calm);
});

Deno.test("h2 hostile: a window past 2^31-1 is a FLOW_CONTROL_ERROR", async () => {
  await using server = startH2Server({ handler: () => new Promise<Response>(() => {}) });
  const conn = await RawH2Client.connect(server.port);
  await conn.send(windowUpdateFrame(0, MAX_WINDOW));
  assertEquals(await goawayCode(conn), ErrorCode.FLOW_CONTROL_ERROR);

  const stream = await RawH2Client.connect(server.port);
  await stream.send(stream.headers(1, requestFields()), windowUpdateFrame(1, MAX_WINDOW));
  const rst = await stream.until((f) => f.type === FrameType.RST_STREAM);
  assertEquals(errorCodeOf(rst!), ErrorCode.FLOW_CONTROL_ERROR);
  stream.close();

  const settings = await RawH2Client.connect(server.port, false);
  await settings.send(PREFACE, settingsFrame([[0x4, MAX_WINDOW + 1]]));
  assertEquals(await goawayCode(settings), ErrorCode.FLOW_CONTROL_ERROR);
});

Deno.test("h2 hostile: a frame larger than our SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR", async () => {
  await using server = startH2Server();
  const client = await RawH2Client.connect(server.port);
  // Only the header is sent: the server must refuse it without waiting for the payload.
  const header = encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, new Uint8Array(16_385))
    .subarray(0, 9);
  await client.send(header);
  assertEquals(await goawayCode(client), ErrorCode.FRAME_SIZE_ERROR);
  assertEquals(server.errors.some((e) => e.startsWith(`${ErrorCode.FRAME_SIZE_ERROR} `)), true);
});
