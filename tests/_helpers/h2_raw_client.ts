/**
 * A raw HTTP/2 client for tests: it writes exactly the frames a test asks
 * for (well-formed or not) over a real socket and reads back the server's
 * frames one by one, decoding header blocks with the project's HPACK codec.
 * Nothing is timed: a test waits for a frame or for the end of the
 * connection.
 */
import {
  concatBytes,
  encodeFrame,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  PREFACE,
  readUint32,
  settingsFrame,
} from "../../src/dataplane/h2/h2_frames.ts";
import { HpackDecoder, HpackEncoder } from "../../src/dataplane/h2/hpack.ts";

/** A request's header list with the usual pseudo-headers. */
export function requestFields(
  path = "/",
  method = "GET",
  extra: [string, string][] = [],
): [string, string][] {
  return [
    [":method", method],
    [":scheme", "http"],
    [":path", path],
    [":authority", "example.com"],
    ...extra,
  ];
}

/** The error code of a GOAWAY or RST_STREAM frame. */
export function errorCodeOf(frame: Frame): number {
  return readUint32(frame.payload, frame.type === FrameType.GOAWAY ? 4 : 0);
}

/** One raw client connection. */
export class RawH2Client {
  readonly encoder = new HpackEncoder();
  readonly decoder = new HpackDecoder();
  #reader = new FrameReader(16_777_215);
  #buffer = new Uint8Array(64 * 1024);
  #ended = false;

  private constructor(readonly conn: Deno.Conn) {}

  /** Connects to `port` on loopback; with `handshake`, sends the preface and an empty SETTINGS. */
  static async connect(port: number, handshake = true): Promise<RawH2Client> {
    const client = new RawH2Client(await Deno.connect({ hostname: "127.0.0.1", port }));
    if (handshake) await client.send(PREFACE, settingsFrame([]));
    return client;
  }

  /** Speaks HTTP/2 over `conn` (a TLS connection that chose `h2`, say): the preface and an empty SETTINGS first. */
  static async over(conn: Deno.Conn): Promise<RawH2Client> {
    const client = new RawH2Client(conn);
    await client.send(PREFACE, settingsFrame([]));
    return client;
  }

  /** Writes `parts` in one write. */
  async send(...parts: Uint8Array[]): Promise<void> {
    const out = concatBytes(parts);
    let offset = 0;
    while (offset < out.length) offset += await this.conn.write(out.subarray(offset));
  }

  /** A frame's bytes. */
  frame(type: number, flags: number, streamId: number, payload?: Uint8Array): Uint8Array {
    return encodeFrame(type, flags, streamId, payload);
  }

  /** A HEADERS frame (END_HEADERS set) carrying `fields`. */
  headers(streamId: number, fields: [string, string][], endStream = true): Uint8Array {
    const flags = Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0);
    return encodeFrame(FrameType.HEADERS, flags, streamId, this.encoder.encode(fields));
  }

  /** The server's next frame, or `undefined` once the connection ended. */
  async next(): Promise<Frame | undefined> {
    while (true) {
      const frame = this.#reader.next();
      if (frame !== undefined && "type" in frame) return frame;
      if (this.#ended) return undefined;
      let n: number | null = null;
      try {
        n = await this.conn.read(this.#buffer);
      } catch {
        n = null;
      }
      if (n === null) this.#ended = true;
      else this.#reader.push(this.#buffer.subarray(0, n));
    }
  }

  /** Reads frames until one satisfies `match`; `undefined` if the connection ends first. */
  async until(match: (frame: Frame) => boolean): Promise<Frame | undefined> {
    while (true) {
      const frame = await this.next();
      if (frame === undefined || match(frame)) return frame;
    }
  }

  /** Reads until the GOAWAY and returns it (`undefined` if the connection ended without one). */
  goaway(): Promise<Frame | undefined> {
    return this.until((f) => f.type === FrameType.GOAWAY);
  }

  /**
   * Sends `frames` and a PING, reads up to the PING's ACK (the server
   * handles frames in order, so its answer to `frames` comes before it) and
   * returns its RST_STREAM on `streamId` or its GOAWAY if it sent one, else
   * the ACK.
   */
  async answerTo(streamId: number, ...frames: Uint8Array[]): Promise<Frame | undefined> {
    await this.send(...frames, encodeFrame(FrameType.PING, 0, 0, new Uint8Array(8)));
    let answer: Frame | undefined;
    for (let f = await this.next(); f !== undefined; f = await this.next()) {
      if (f.type === FrameType.PING || f.type === FrameType.GOAWAY) return answer ?? f;
      if (f.type === FrameType.RST_STREAM && f.streamId === streamId) answer ??= f;
    }
    return answer;
  }

  /** Reads frames to the end of the connection and returns them. */
  async rest(): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (let f = await this.next(); f !== undefined; f = await this.next()) frames.push(f);
    return frames;
  }

  /** Decodes a HEADERS frame's block (END_HEADERS expected). */
  decode(frame: Frame): [string, string][] {
    return this.decoder.decode(frame.payload);
  }

  /** Reads a whole response on `streamId`: headers, body and trailers. */
  async response(streamId: number): Promise<Response & { trailers: [string, string][] }> {
    let head: [string, string][] | undefined;
    let trailers: [string, string][] = [];
    const body: Uint8Array[] = [];
    while (true) {
      const f = await this.next();
      if (f === undefined) throw new Error(`Cannot read the response of stream ${streamId}: EOF`);
      if (f.streamId !== streamId) continue;
      if (f.type === FrameType.RST_STREAM) {
        throw new Error(`Stream ${streamId} was reset with code ${errorCodeOf(f)}`);
      }
      if (f.type === FrameType.HEADERS) {
        if (head === undefined) head = this.decode(f);
        else trailers = this.decode(f);
      } else if (f.type === FrameType.DATA) body.push(f.payload);
      if ((f.flags & Flag.END_STREAM) !== 0) break;
    }
    const status = Number(head!.find(([n]) => n === ":status")![1]);
    const headers = new Headers(head!.filter(([n]) => !n.startsWith(":")));
    const bytes = concatBytes(body);
    const response = new Response([204, 304].includes(status) ? null : bytes, { status, headers });
    return Object.assign(response, { trailers });
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}
