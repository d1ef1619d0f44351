/**
 * The connection reads frames as views of its read buffer, which the next
 * read overwrites: what outlives a read (a request body's DATA waiting for
 * the handler, the first fragment of a header block whose CONTINUATION
 * comes later) must be a copy. Each test hands the connection one frame per
 * read, so every read lands where the one before it was.
 */
import { assertEquals } from "@std/assert";
import { H2Connection, type H2Transport } from "../../../src/dataplane/h2/h2_connection.ts";
import {
  concatBytes,
  encodeFrame,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  PREFACE,
  settingsFrame,
} from "../../../src/dataplane/h2/h2_frames.ts";
import { HpackDecoder, HpackEncoder } from "../../../src/dataplane/h2/hpack.ts";
import { requestFields } from "../../_helpers/h2_raw_client.ts";

/** A connection whose output is kept, with the client's side of HPACK. */
function connection(handler: (request: Request) => Response | Promise<Response>) {
  const written: Uint8Array[] = [];
  let wrote = () => {};
  let ended = false;
  const transport: H2Transport = {
    write: (bytes) => {
      written.push(bytes.slice());
      wrote();
    },
    buffered: () => 0,
    ready: () => Promise.resolve(),
    end: () => {
      ended = true;
      wrote();
    },
  };
  const conn = new H2Connection({
    handler,
    onError: () => new Response("Internal error\n", { status: 500 }),
    scheme: "http",
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    transport,
  });
  conn.receive(concatBytes([PREFACE, settingsFrame([])]));
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  /** The frames written so far, in order. */
  const frames = (): Frame[] => {
    const reader = new FrameReader(1 << 24);
    reader.push(concatBytes(written));
    const out: Frame[] = [];
    for (let f = reader.next(); f !== undefined && "type" in f; f = reader.next()) out.push(f);
    return out;
  };
  /** Waits for the response of stream `id`: its header list and body. */
  const response = async (id: number) => {
    while (true) {
      const mine = frames().filter((f) => f.streamId === id);
      if (mine.some((f) => (f.flags & Flag.END_STREAM) !== 0)) {
        const headers = mine.find((f) => f.type === FrameType.HEADERS)!;
        const data = mine.filter((f) => f.type === FrameType.DATA).map((f) => f.payload);
        const body = new TextDecoder().decode(concatBytes(data));
        return { fields: decoder.decode(headers.payload), body };
      }
      if (ended) throw new Error(`The connection ended before stream ${id} was answered`);
      await new Promise<void>((resolve) => wrote = resolve);
    }
  };
  return { conn, encoder, response };
}

Deno.test("h2: a request body whose DATA frames came in separate reads reaches the handler whole", async () => {
  let release!: () => void;
  const allSent = new Promise<void>((resolve) => release = resolve);
  const { conn, encoder, response } = connection(async (request) => {
    // The body is read only once every DATA frame has been read off the socket.
    await allSent;
    return new Response(await request.text());
  });
  const block = encoder.encode(requestFields("/up", "POST"));
  conn.receive(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, block));
  const parts = ["a".repeat(100), "b".repeat(100), "c".repeat(100)];
  parts.forEach((part, i) => {
    const flags = i === parts.length - 1 ? Flag.END_STREAM : 0;
    conn.receive(encodeFrame(FrameType.DATA, flags, 1, new TextEncoder().encode(part)));
  });
  release();
  const { fields, body } = await response(1);
  assertEquals(fields[0], [":status", "200"]);
  assertEquals(body, parts.join(""));
  conn.close();
});

Deno.test("h2: a header block whose CONTINUATION came in a later read decodes whole", async () => {
  const long = "v".repeat(300);
  const { conn, encoder, response } = connection((request) =>
    new Response(`${request.headers.get("x-long") === long} ${request.headers.get("x-after")}`)
  );
  const block = encoder.encode(requestFields("/", "GET", [["x-long", long], ["x-after", "yes"]]));
  const cut = 200;
  const flags = Flag.END_STREAM;
  conn.receive(encodeFrame(FrameType.HEADERS, flags, 1, block.subarray(0, cut)));
  conn.receive(encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(cut)));
  const { fields, body } = await response(1);
  assertEquals(fields[0], [":status", "200"]);
  assertEquals(body, "true yes");
  conn.close();
});
