/**
 * HTTP/2 frames (RFC 9113 §4, §6): the constants, a reader that cuts a byte
 * stream into frames, and writers for the frames a server sends. The reader
 * knows nothing of streams or state; it only refuses a frame longer than the
 * size we advertised (SETTINGS_MAX_FRAME_SIZE) before buffering its payload,
 * so a peer cannot make us hold more than one frame's worth of bytes.
 *
 * @example
 * ```ts
 * import { FrameReader, FrameType, pingFrame } from "./h2_frames.ts";
 * const reader = new FrameReader(16_384);
 * reader.push(pingFrame(false, new Uint8Array(8)));
 * const frame = reader.next();
 * console.log(frame !== undefined && "type" in frame && frame.type === FrameType.PING); // true
 * ```
 * @module
 */

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags; ACK and END_STREAM share a bit on different frame types. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** The largest flow-control window (RFC 9113 §6.9.1). */
export const MAX_WINDOW = 2 ** 31 - 1;
/** The initial window of every stream and of the connection (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW = 65_535;
/** The smallest SETTINGS_MAX_FRAME_SIZE, and the default. */
export const MIN_MAX_FRAME_SIZE = 16_384;
/** The largest SETTINGS_MAX_FRAME_SIZE. */
export const MAX_MAX_FRAME_SIZE = 2 ** 24 - 1;

const FRAME_HEADER = 9;

/** One frame as read: from `next()` its payload is a copy the caller may keep. */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

/** A frame header announcing more than the reader accepts. */
export interface OversizedFrame {
  oversized: number;
}

/** Cuts bytes into frames; `next()` returns frames until it needs more bytes. */
export class FrameReader {
  #buffer = new Uint8Array(16 * 1024);
  #start = 0;
  #end = 0;

  /** @param maxFrameSize the largest payload accepted (our SETTINGS_MAX_FRAME_SIZE) */
  constructor(public maxFrameSize: number) {}

  /** Bytes waiting to form a frame. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Appends bytes read from the peer. */
  push(bytes: Uint8Array): void {
    if (this.#end + bytes.length > this.#buffer.length) {
      const live = this.#end - this.#start;
      const size = Math.max(this.#buffer.length, live + bytes.length);
      if (size > this.#buffer.length) {
        const grown = new Uint8Array(size);
        grown.set(this.#buffer.subarray(this.#start, this.#end), 0);
        this.#buffer = grown;
      } else this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#start = 0;
      this.#end = live;
    }
    this.#buffer.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /** Takes `n` raw bytes (the preface) when available, else `undefined`. */
  take(n: number): Uint8Array | undefined {
    if (this.#end - this.#start < n) return undefined;
    const out = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  /** The next complete frame, an oversized header, or `undefined` when more bytes are needed. */
  next(): Frame | OversizedFrame | undefined {
    const frame = this.nextView();
    if (frame !== undefined && "payload" in frame) frame.payload = frame.payload.slice();
    return frame;
  }

  /**
   * As {@linkcode next}, but the payload is a view of the reader's buffer,
   * valid until the next {@linkcode push}: for a caller that is done with
   * it by then, or copies what it keeps (a copy costs an array, about half
   * a microsecond each).
   */
  nextView(): Frame | OversizedFrame | undefined {
    const available = this.#end - this.#start;
    if (available < FRAME_HEADER) return undefined;
    const b = this.#buffer;
    const s = this.#start;
    const length = (b[s] << 16) | (b[s + 1] << 8) | b[s + 2];
    if (length > this.maxFrameSize) return { oversized: length };
    if (available < FRAME_HEADER + length) return undefined;
    const frame: Frame = {
      type: b[s + 3],
      flags: b[s + 4],
      streamId: readUint31(b, s + 5),
      payload: b.subarray(s + FRAME_HEADER, s + FRAME_HEADER + length),
    };
    this.#start += FRAME_HEADER + length;
    // The next push starts at the front again (the views stay valid until then).
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return frame;
  }
}

/** The 31-bit big-endian value at `offset` (the reserved bit cleared). */
export function readUint31(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] & 0x7f) * 2 ** 24) +
    ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]);
}

/** The 32-bit big-endian value at `offset`. */
export function readUint32(bytes: Uint8Array, offset: number): number {
  return bytes[offset] * 2 ** 24 +
    ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]);
}

/** Writes `value` as 32 bits big-endian at `offset`. */
export function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** Writes the 9-byte header of a frame whose payload is `length` bytes at `at`. */
export function writeFrameHeader(
  bytes: Uint8Array,
  at: number,
  type: number,
  flags: number,
  streamId: number,
  length: number,
): void {
  bytes[at] = (length >>> 16) & 0xff;
  bytes[at + 1] = (length >>> 8) & 0xff;
  bytes[at + 2] = length & 0xff;
  bytes[at + 3] = type;
  bytes[at + 4] = flags;
  writeUint32(bytes, at + 5, streamId & 0x7fffffff);
}

/** One frame on the wire. */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + payload.length);
  writeFrameHeader(out, 0, type, flags, streamId, payload.length);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** A SETTINGS frame with `pairs` of identifier and value, or an ACK. */
export function settingsFrame(pairs: [number, number][], ack = false): Uint8Array {
  const payload = new Uint8Array(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    payload[i * 6] = id >> 8;
    payload[i * 6 + 1] = id & 0xff;
    writeUint32(payload, i * 6 + 2, value);
  });
  return encodeFrame(FrameType.SETTINGS, ack ? Flag.ACK : 0, 0, ack ? undefined : payload);
}

/** A PING frame (an answer when `ack`). */
export function pingFrame(ack: boolean, data: Uint8Array): Uint8Array {
  return encodeFrame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);
}

/** A GOAWAY frame; `debug` is a short reason for people reading captures. */
export function goawayFrame(lastStreamId: number, code: number, debug = ""): Uint8Array {
  const text = new TextEncoder().encode(debug.slice(0, 256));
  const payload = new Uint8Array(8 + text.length);
  writeUint32(payload, 0, lastStreamId & 0x7fffffff);
  writeUint32(payload, 4, code);
  payload.set(text, 8);
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}

/** A RST_STREAM frame. */
export function rstStreamFrame(streamId: number, code: number): Uint8Array {
  const payload = new Uint8Array(4);
  writeUint32(payload, 0, code);
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, payload);
}

/** A WINDOW_UPDATE frame. */
export function windowUpdateFrame(streamId: number, increment: number): Uint8Array {
  const payload = new Uint8Array(4);
  writeUint32(payload, 0, increment & 0x7fffffff);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

/**
 * `parts` one after another in a new array (one write instead of several).
 *
 * @example
 * ```ts
 * import { concatBytes } from "./h2_frames.ts";
 * console.log(concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])])); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
