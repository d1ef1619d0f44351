/**
 * The server side of one HTTP/2 connection (RFC 9113): the preface and the
 * first SETTINGS, SETTINGS and their ACKs, PING, GOAWAY with the last stream
 * id, RST_STREAM, WINDOW_UPDATE and both directions of flow control; PRIORITY
 * and unknown frame types are ignored. Each request stream is bridged to the
 * port's ordinary handler by `h2_stream.ts`; header blocks go through
 * `h2_header_block.ts`.
 *
 * The connection is a state machine over bytes: `receive()` takes what the
 * client sent, and everything it answers goes to an {@linkcode H2Transport}.
 * No input makes it throw: a connection error (§5.4.1) sends GOAWAY with its
 * code and closes, a stream error (§5.4.2) sends RST_STREAM and carries on.
 * The bounds against hostile clients are in `h2_limits.ts`.
 *
 * Shutdown is graceful: `shutdown()` sends GOAWAY naming the last stream it
 * will serve, and the connection closes once those streams ended.
 * @module
 */
import { HpackDecoder, HpackEncoder } from "./hpack.ts";
import {
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  goawayFrame,
  MIN_MAX_FRAME_SIZE,
  PREFACE,
  Setting,
  settingsFrame,
} from "./h2_frames.ts";
import { FrameWriter } from "./h2_frame_writer.ts";
import { DEFAULT_H2_LIMITS, FloodBudgets, type H2Limits } from "./h2_limits.ts";
import type { H2ConnectionCore, H2ConnectionOptions } from "./h2_core.ts";
import type { H2Stream } from "./h2_stream.ts";
import { HeaderBlocks } from "./h2_header_block.ts";
import { H2Error, onControlFrame } from "./h2_control.ts";
import { onData } from "./h2_data.ts";

export type { H2ConnectionOptions, H2Transport } from "./h2_core.ts";

/** How many reset stream ids a connection remembers. */
const RECENT_RESETS = 128;

/** One HTTP/2 connection, server side. */
export class H2Connection implements H2ConnectionCore {
  readonly limits: H2Limits;
  readonly options: H2ConnectionOptions;
  readonly budgets: FloodBudgets;
  readonly streams = new Map<number, H2Stream>();
  readonly decoder: HpackDecoder;
  readonly encoder = new HpackEncoder();
  readonly headerBlocks: HeaderBlocks;
  readonly finished: Promise<void>;
  /** The highest stream id the client opened. */
  lastStreamId = 0;
  /** What the client advertised. */
  peer = { initialWindow: DEFAULT_WINDOW, maxFrameSize: MIN_MAX_FRAME_SIZE };
  /** What we may still send on the connection. */
  sendWindow = DEFAULT_WINDOW;
  /** GOAWAY sent (we serve no stream past `goawayLastId`) or received. */
  goawaySent = false;
  goawayLastId = 0;
  peerGoneAway = false;
  /** Streams we reset lately: frames the client had in flight for them are ignored (§5.1). */
  readonly recentlyReset = new Set<number>();
  /** What the client may still send on the connection before we credit more. */
  recvWindow: number;
  #recvUnacked = 0;
  #phase: "preface" | "settings" | "open" | "closed" = "preface";
  #reader: FrameReader;
  #windowWaiters = new Set<() => void>();
  #resolveFinished!: () => void;
  /** This turn's frames, handed to the transport as one write when the turn ends. */
  #out: FrameWriter;

  constructor(options: H2ConnectionOptions) {
    this.options = options;
    this.#out = new FrameWriter((bytes) => options.transport.write(bytes));
    this.limits = { ...DEFAULT_H2_LIMITS, ...options.limits };
    this.budgets = new FloodBudgets(this.limits, options.clock);
    this.decoder = new HpackDecoder({ maxHeaderListSize: this.limits.maxHeaderListSize });
    this.#reader = new FrameReader(this.limits.maxFrameSize);
    this.headerBlocks = new HeaderBlocks(this);
    this.finished = new Promise((resolve) => this.#resolveFinished = resolve);
    this.recvWindow = this.limits.connectionWindow;
    this.write(settingsFrame([
      [Setting.ENABLE_PUSH, 0],
      [Setting.MAX_CONCURRENT_STREAMS, this.limits.maxConcurrentStreams],
      [Setting.INITIAL_WINDOW_SIZE, this.limits.streamWindow],
      [Setting.MAX_FRAME_SIZE, this.limits.maxFrameSize],
      [Setting.MAX_HEADER_LIST_SIZE, this.limits.maxHeaderListSize],
    ]));
    const extra = this.limits.connectionWindow - DEFAULT_WINDOW;
    if (extra > 0) this.#windowUpdate(0, extra);
  }

  /** True once the connection is closed. */
  get closed(): boolean {
    return this.#phase === "closed";
  }

  /** Bytes from the client. Never throws. */
  receive(bytes: Uint8Array): void {
    if (this.closed) return;
    try {
      this.#reader.push(bytes);
      if (this.#phase === "preface" && !this.#readPreface()) return;
      while (!this.closed) {
        // Payloads are views of the reader's buffer until the next push: what keeps one copies it.
        const frame = this.#reader.nextView();
        if (frame === undefined) return;
        if ("oversized" in frame) {
          return this.fail(
            ErrorCode.FRAME_SIZE_ERROR,
            `frame of ${frame.oversized} bytes exceeds ${this.limits.maxFrameSize}`,
          );
        }
        this.#dispatch(frame);
      }
    } catch (error) {
      this.options.logger?.error("HTTP/2 connection failed", { error });
      this.fail(ErrorCode.INTERNAL_ERROR, "internal error");
    }
  }

  /** The client closed its side or the socket failed: every stream ends. */
  endOfInput(): void {
    this.#terminate();
  }

  /** Graceful: GOAWAY, in-flight streams finish, then the connection closes. */
  shutdown(): Promise<void> {
    if (this.closed) return this.finished;
    if (!this.goawaySent) {
      this.goawaySent = true;
      this.goawayLastId = this.lastStreamId;
      this.write(goawayFrame(this.lastStreamId, ErrorCode.NO_ERROR));
    }
    this.maybeFinish();
    return this.finished;
  }

  /** Immediate: GOAWAY (NO_ERROR) and close, whatever is in flight. */
  close(): void {
    if (this.closed) return;
    this.write(goawayFrame(this.lastStreamId, ErrorCode.NO_ERROR));
    this.#terminate();
  }

  /** A connection error: GOAWAY with `code`, a log line, and close. */
  fail(code: number, reason: string): void {
    if (this.closed) return;
    this.options.logger?.debug("HTTP/2 connection error", { code, reason });
    this.options.onConnectionError?.(code, reason);
    this.write(goawayFrame(this.lastStreamId, code, reason));
    this.#terminate();
  }

  write(bytes: Uint8Array): void {
    this.#out.bytes(bytes);
  }

  /** Sends RST_STREAM for `id` and remembers it for a while. */
  writeReset(id: number, code: number): void {
    if (this.closed) return;
    this.#out.uint32Frame(FrameType.RST_STREAM, 0, id, code);
    this.ignoreStream(id);
  }

  #windowUpdate(id: number, increment: number): void {
    this.#out.uint32Frame(FrameType.WINDOW_UPDATE, 0, id, increment & 0x7fffffff);
  }

  /** Frames still in flight for stream `id` are dropped quietly (it was reset or not served). */
  ignoreStream(id: number): void {
    this.recentlyReset.add(id);
    if (this.recentlyReset.size > RECENT_RESETS) {
      this.recentlyReset.delete(this.recentlyReset.values().next().value!);
    }
  }

  #readPreface(): boolean {
    const preface = this.#reader.take(PREFACE.length);
    if (preface === undefined) return false;
    if (!preface.every((b, i) => b === PREFACE[i])) {
      this.fail(ErrorCode.PROTOCOL_ERROR, "invalid connection preface");
      return false;
    }
    this.#phase = "settings";
    return true;
  }

  #dispatch(frame: Frame): void {
    try {
      if (this.headerBlocks.expecting(frame)) return;
      if (this.#phase === "settings") {
        if (frame.type !== FrameType.SETTINGS || (frame.flags & Flag.ACK) !== 0) {
          throw new H2Error(ErrorCode.PROTOCOL_ERROR, "the first frame is not SETTINGS");
        }
        this.#phase = "open";
      }
      if (frame.type === FrameType.DATA) onData(this, frame);
      else if (frame.type === FrameType.HEADERS) this.headerBlocks.onHeaders(frame);
      else if (frame.type === FrameType.CONTINUATION) this.headerBlocks.onContinuation(frame);
      else onControlFrame(this, frame);
    } catch (error) {
      if (!(error instanceof H2Error)) throw error;
      if (error.streamId === undefined) return this.fail(error.code, error.message);
      this.resetStreamId(error.streamId, error.code);
    }
  }

  /** END_STREAM arrived on `stream` (DATA or trailers); a stream answered already is now closed. */
  endOfRequest(stream: H2Stream): void {
    if (!stream.endOfRequest()) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "content-length mismatch", stream.id);
    }
    if (stream.localClosed) this.forget(stream);
  }

  /** Starts serving a new stream whose request head was accepted. */
  addStream(stream: H2Stream): void {
    this.streams.set(stream.id, stream);
  }

  // H2StreamHost

  sendHeaders(stream: H2Stream, fields: [string, string][], endStream: boolean): void {
    if (stream.localClosed || this.closed) return;
    const encoder = this.encoder;
    const length = encoder.encodeInto(fields);
    this.#out.headers(stream.id, encoder.encoded, endStream, this.peer.maxFrameSize, length);
    if (endStream) this.#endedLocally(stream);
  }

  async sendData(stream: H2Stream, chunk: Uint8Array, endStream: boolean): Promise<boolean> {
    let offset = 0;
    do {
      while (
        chunk.length > 0 && !stream.localClosed && !this.closed &&
        (stream.sendWindow <= 0 || this.sendWindow <= 0)
      ) {
        await new Promise<void>((resolve) => this.#windowWaiters.add(resolve));
      }
      if (stream.localClosed || this.closed) return false;
      const n = Math.min(
        chunk.length - offset,
        stream.sendWindow,
        this.sendWindow,
        this.peer.maxFrameSize,
      );
      const last = offset + n >= chunk.length;
      const flags = last && endStream ? Flag.END_STREAM : 0;
      this.#out.frame(FrameType.DATA, flags, stream.id, chunk.subarray(offset, offset + n));
      stream.sendWindow -= n;
      this.sendWindow -= n;
      offset += n;
      this.budgets.windowUpdate.refund();
      const transport = this.options.transport;
      if (transport.buffered() + this.#out.length > this.limits.maxBufferedOutput) {
        this.#out.flush();
        await transport.ready();
      }
    } while (offset < chunk.length);
    if (endStream && !stream.localClosed) this.#endedLocally(stream);
    return true;
  }

  sendDataNow(stream: H2Stream, chunk: Uint8Array, endStream: boolean): boolean {
    const n = chunk.length;
    if (
      stream.localClosed || this.closed || n > stream.sendWindow || n > this.sendWindow ||
      n > this.peer.maxFrameSize ||
      this.options.transport.buffered() + this.#out.length + n > this.limits.maxBufferedOutput
    ) return false;
    this.#out.frame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, stream.id, chunk);
    stream.sendWindow -= n;
    this.sendWindow -= n;
    this.budgets.windowUpdate.refund();
    if (endStream) this.#endedLocally(stream);
    return true;
  }

  resetStream(stream: H2Stream, code: number): void {
    // A stream still held after its response ended is half-closed (local): a reset still goes out.
    if (!stream.localClosed || this.streams.get(stream.id) === stream) {
      this.writeReset(stream.id, code);
    }
    stream.fail(new Error(`The stream was reset (code ${code})`));
    this.forget(stream);
  }

  /** A stream error on `id`, whether or not the stream is still known. */
  resetStreamId(id: number, code: number): void {
    const stream = this.streams.get(id);
    if (stream !== undefined) return this.resetStream(stream, code);
    this.writeReset(id, code);
  }

  credit(stream: H2Stream, n: number): void {
    this.creditConnection(n);
    if (stream.remoteClosed || stream.localClosed || this.closed) return;
    stream.unacked += n;
    if (stream.unacked >= this.limits.streamWindow / 2) {
      this.#windowUpdate(stream.id, stream.unacked);
      stream.recvWindow += stream.unacked;
      stream.unacked = 0;
    }
  }

  /** `n` bytes of DATA were read or dropped: the connection's window may reopen. */
  creditConnection(n: number): void {
    if (n <= 0 || this.closed) return;
    this.#recvUnacked += n;
    if (this.#recvUnacked >= this.limits.connectionWindow / 2) {
      this.#windowUpdate(0, this.#recvUnacked);
      this.recvWindow += this.#recvUnacked;
      this.#recvUnacked = 0;
    }
  }

  /** The windows grew (or the stream or connection ended): waiting senders look again. */
  wakeSenders(): void {
    // Every stream's end asks; a sender waits only on a spent window.
    if (this.#windowWaiters.size === 0) return;
    const waiters = [...this.#windowWaiters];
    this.#windowWaiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * The response's last frame went out; the handler is done. A request still
   * coming leaves the stream half-closed (local) (§5.1): its frames meet the
   * same rules until the client ends or resets it, and its DATA is dropped,
   * credited to the connection only. A client that spends the stream's
   * window without ending it is asked to stop (RST_STREAM NO_ERROR, §8.1).
   */
  #endedLocally(stream: H2Stream): void {
    stream.localClosed = true;
    stream.responseEnded = true;
    if (stream.remoteClosed) return this.forget(stream);
    stream.fail(new Error("The response ended before the request body"));
    stream.finish();
    if (stream.recvWindow <= 0) this.resetStream(stream, ErrorCode.NO_ERROR);
  }

  /** Drops `stream` from the connection and ends it for the handler. */
  forget(stream: H2Stream): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    stream.finish();
    this.wakeSenders();
    this.maybeFinish();
  }

  /** After GOAWAY either way, the connection closes once its responses ended. */
  maybeFinish(): void {
    if (!this.goawaySent && !this.peerGoneAway) return;
    // Streams half-closed (local) have nothing more to give the client.
    for (const stream of this.streams.values()) if (!stream.responseEnded) return;
    this.#terminate();
  }

  #terminate(): void {
    if (this.closed) return;
    this.#phase = "closed";
    for (const stream of [...this.streams.values()]) {
      stream.fail(new Error("The HTTP/2 connection closed"));
      this.streams.delete(stream.id);
      stream.finish();
    }
    this.wakeSenders();
    // The last frames (a GOAWAY) go before the transport ends.
    this.#out.flush();
    this.options.transport.end();
    this.#resolveFinished();
  }
}
