/**
 * Fuzz target: the HTTP/2 server's connection. Each case builds a sequence
 * of frames (requests with bodies and trailers, control frames, resets,
 * header blocks split or interrupted, odd stream ids, odd flags and
 * lengths), sometimes mutates its bytes, and feeds it to one connection
 * over an in-memory transport in random pieces; the handler echoes the
 * request body and attaches trailers, or throws.
 *
 * Oracle, per case: no exception reaches the connection's own catch (it
 * logs `HTTP/2 connection failed` at error level); what the server wrote is
 * whole frames, starting with SETTINGS, whose header blocks a client's HPACK
 * decoder reads; once the input ends, the connection closes, no stream is
 * left and every handler finished (nothing hangs), within a bounded number
 * of event-loop turns (no I/O or timers are involved, so this is not a
 * timing).
 * @module
 */
import { H2Connection, type H2Transport } from "../../src/dataplane/h2/h2_connection.ts";
import {
  concatBytes,
  encodeFrame,
  Flag,
  FrameReader,
  FrameType,
  goawayFrame,
  MAX_MAX_FRAME_SIZE,
  pingFrame,
  PREFACE,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from "../../src/dataplane/h2/h2_frames.ts";
import { HpackDecoder, HpackEncoder } from "../../src/dataplane/h2/hpack.ts";
import { attachTrailers } from "../../src/dataplane/response_trailers.ts";
import { createLogger } from "../../src/log/logger.ts";
import { bytesLatin1, type Prng } from "./_prng.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";

const TURNS = 200;
const IDS = [0, 1, 3, 5, 2, 7, 0x7fffffff];

function randomBytes(rng: Prng, max: number): Uint8Array {
  const out = new Uint8Array(rng.int(max + 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

function requestBlock(rng: Prng, encoder: HpackEncoder): Uint8Array {
  const fields: [string, string][] = [
    [":method", rng.pick(["GET", "POST", "POST", "HEAD", "PUT", "CONNECT", ""])],
    [":scheme", "http"],
    [":path", rng.chance(0.9) ? rng.pick(["/", "/echo.Echo/Say", "/a?b=c"]) : rng.pick(["*", ""])],
    [":authority", rng.chance(0.9) ? "example.com" : rng.pick(["", "a b", "x:99"])],
  ];
  if (rng.chance(0.05)) fields.splice(rng.int(fields.length), 1);
  if (rng.chance(0.3)) fields.push(["content-type", "application/grpc"]);
  if (rng.chance(0.2)) fields.push(["content-length", String(rng.int(40))]);
  if (rng.chance(0.1)) fields.push([rng.pick(["connection", "te", "X-Up", ":path"]), "x"]);
  if (rng.chance(0.2)) fields.push(["cookie", "a=1"], ["cookie", "b=2"]);
  return encoder.encode(fields);
}

/** What a case has opened so far: most frames name a stream that makes sense. */
interface Gen {
  encoder: HpackEncoder;
  nextId: number;
  opened: number[];
  wild: boolean;
}

function streamId(rng: Prng, gen: Gen, opening: boolean): number {
  if (gen.wild || rng.chance(0.1)) return rng.pick(IDS);
  if (opening) {
    const id = gen.nextId;
    gen.nextId += 2;
    gen.opened.push(id);
    return id;
  }
  return gen.opened.length === 0 ? rng.pick(IDS) : rng.pick(gen.opened);
}

function headersFrame(rng: Prng, gen: Gen, flags: number): Uint8Array {
  const trailers = gen.opened.length > 0 && rng.chance(0.2);
  const id = streamId(rng, gen, !trailers);
  const block = trailers
    ? gen.encoder.encode([["x-trailer", "1"]])
    : requestBlock(rng, gen.encoder);
  if (trailers) flags |= Flag.END_STREAM;
  if (!rng.chance(0.3)) return encodeFrame(FrameType.HEADERS, flags | Flag.END_HEADERS, id, block);
  const cut = rng.int(block.length + 1);
  return concatBytes([
    encodeFrame(FrameType.HEADERS, flags & ~Flag.END_HEADERS, id, block.subarray(0, cut)),
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, id, block.subarray(cut)),
  ]);
}

/** One generated frame (or two, for a split header block). */
function frame(rng: Prng, gen: Gen): Uint8Array {
  const flags = gen.wild || rng.chance(0.1)
    ? rng.int(256)
    : rng.pick([0, 0, Flag.END_STREAM, Flag.END_STREAM]);
  switch (rng.int(14)) {
    case 0:
    case 1:
    case 2:
      return headersFrame(rng, gen, flags);
    case 3:
    case 4:
    case 5:
      return encodeFrame(FrameType.DATA, flags, streamId(rng, gen, false), randomBytes(rng, 64));
    case 6:
      return rstStreamFrame(streamId(rng, gen, false), rng.int(16));
    case 7:
      return settingsFrame(
        Array.from(
          { length: rng.int(3) },
          () => [rng.range(1, 7), gen.wild ? rng.next() : rng.int(70_000)] as [number, number],
        ),
        rng.chance(0.1),
      );
    case 8:
      return pingFrame(rng.chance(0.2), gen.wild ? randomBytes(rng, 10) : new Uint8Array(8));
    case 9:
      return windowUpdateFrame(
        rng.chance(0.5) ? 0 : streamId(rng, gen, false),
        rng.chance(0.8) ? rng.int(70_000) : rng.next(),
      );
    case 10:
      if (!gen.wild && rng.chance(0.7)) return pingFrame(false, new Uint8Array(8));
      return goawayFrame(rng.int(9), rng.int(16));
    case 11:
      return encodeFrame(
        FrameType.CONTINUATION,
        flags,
        streamId(rng, gen, false),
        randomBytes(rng, 16),
      );
    case 12:
      if (!gen.wild && rng.chance(0.8)) {
        return encodeFrame(FrameType.DATA, flags, streamId(rng, gen, false), randomBytes(rng, 64));
      }
      return encodeFrame(
        rng.pick([FrameType.PRIORITY, FrameType.PUSH_PROMISE]),
        flags,
        streamId(rng, gen, false),
        randomBytes(rng, 6),
      );
    default:
      return encodeFrame(rng.range(10, 255), flags, rng.pick(IDS), randomBytes(rng, 8));
  }
}

function mutateBytes(rng: Prng, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = rng.range(1, 4); i > 0 && out.length > 0; i--) {
    out[rng.int(out.length)] = rng.int(256);
  }
  return rng.chance(0.3) ? out.subarray(0, rng.int(out.length + 1)) : out;
}

/** The case's input: the preface, SETTINGS and up to 24 frames, maybe mutated. */
function input(rng: Prng): Uint8Array {
  const gen: Gen = { encoder: new HpackEncoder(), nextId: 1, opened: [], wild: rng.chance(0.2) };
  const parts = [PREFACE, settingsFrame([])];
  if (!gen.wild) parts.push(headersFrame(rng, gen, rng.pick([0, Flag.END_STREAM])));
  for (let n = rng.int(25); n > 0; n--) parts.push(frame(rng, gen));
  const bytes = concatBytes(parts);
  return rng.chance(0.15) ? mutateBytes(rng, bytes) : bytes;
}

/** Checks the server's output: whole frames, SETTINGS first, decodable header blocks. */
function judgeOutput(out: Uint8Array): string | undefined {
  const reader = new FrameReader(MAX_MAX_FRAME_SIZE);
  reader.push(out);
  const decoder = new HpackDecoder();
  let block: Uint8Array[] = [];
  let first = true;
  for (let f = reader.next(); f !== undefined; f = reader.next()) {
    if (!("type" in f)) return "an oversized frame";
    if (first && f.type !== FrameType.SETTINGS) return "the first frame is not SETTINGS";
    first = false;
    if (f.type === FrameType.HEADERS || f.type === FrameType.CONTINUATION) {
      block.push(f.payload);
      if ((f.flags & Flag.END_HEADERS) === 0) continue;
      try {
        decoder.decode(concatBytes(block));
      } catch (error) {
        return `a header block the client cannot decode: ${(error as Error).message}`;
      }
      block = [];
    }
  }
  return reader.buffered === 0 ? undefined : "a partial frame at the end";
}

/** The h2 fuzz target. */
export function h2Target(): FuzzTarget {
  let streams = 0;
  let goaways = 0;
  const reasons = new Map<string, number>();
  return {
    name: "h2",
    summary: () => {
      const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5);
      return `${streams} handler calls, ${goaways} connections ended by the server (most: ${
        top.map(([r, n]) => `${r} ${n}`).join(", ")
      })`;
    },
    async run(rng: Prng): Promise<CaseFailure | undefined> {
      const bytes = input(rng);
      const fail = (message: string) => ({ input: bytesLatin1(bytes), message });
      const written: Uint8Array[] = [];
      const errors: string[] = [];
      let inFlight = 0;
      let ended = false;
      const transport: H2Transport = {
        write: (b) => void written.push(b),
        buffered: () => 0,
        ready: () => Promise.resolve(),
        end: () => void (ended = true),
      };
      const conn = new H2Connection({
        handler: async (request) => {
          inFlight++;
          streams++;
          try {
            const body = request.body === null ? "" : await request.text();
            if (body.includes("!")) throw new Error("The handler failed");
            return attachTrailers(new Response(body), Promise.resolve([["grpc-status", "0"]]));
          } finally {
            inFlight--;
          }
        },
        onError: () => new Response(null, { status: 500 }),
        scheme: "http",
        remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
        transport,
        logger: createLogger({ level: "error", write: (line) => void errors.push(line) }),
        onConnectionError: (_code, reason) => {
          goaways++;
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        },
      });
      for (let at = 0; at < bytes.length;) {
        const n = rng.range(1, 64);
        conn.receive(bytes.subarray(at, at + n));
        at += n;
        if (rng.chance(0.2)) await Promise.resolve();
      }
      if (rng.chance(0.3)) void conn.shutdown();
      conn.endOfInput();
      for (let turn = 0; turn < TURNS && (inFlight > 0 || !ended); turn++) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (errors.length > 0) return fail(`The connection caught an exception: ${errors[0]}`);
      if (!ended || !conn.closed) return fail("The connection did not close after the input ended");
      if (conn.streams.size > 0) return fail(`${conn.streams.size} stream(s) left open`);
      if (inFlight > 0) return fail(`${inFlight} handler call(s) never finished`);
      const problem = judgeOutput(concatBytes(written));
      return problem === undefined ? undefined : fail(`The output is malformed: ${problem}`);
    },
  };
}
