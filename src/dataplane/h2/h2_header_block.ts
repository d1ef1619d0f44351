/**
 * Header blocks of an HTTP/2 connection: HEADERS and its CONTINUATION frames
 * gathered into one block (RFC 9113 §4.3), capped in bytes and frames before
 * anything is decoded (CVE-2024-27316), decoded with HPACK, then either a
 * new request stream (admission: stream ids, the concurrency limit, §8.3
 * validation) or the trailers of an open one.
 *
 * A block is always decoded, even for a stream that will be refused: HPACK's
 * dynamic table is shared by the connection, and skipping a block would
 * desynchronise it.
 * @module
 */
import type { H2ConnectionCore as H2Connection } from "./h2_core.ts";
import { H2Error } from "./h2_control.ts";
import { ErrorCode, Flag, type Frame, FrameType, readUint31 } from "./h2_frames.ts";
import { headersOf, parseRequestHead, type RequestHead, validTrailers } from "./h2_headers.ts";
import { fastAnswer, parsesAsUrl, sendFastAnswer } from "./h2_fast.ts";
import { H2Stream, sendResponse } from "./h2_stream.ts";
import { HpackFieldError } from "./hpack.ts";

interface PendingBlock {
  streamId: number;
  endStream: boolean;
  fragments: Uint8Array[];
  size: number;
  frames: number;
  /** The HEADERS frame's priority names its own stream (§5.3.1): a stream error once decoded. */
  dependsOnItself: boolean;
}

/** Gathers and admits the header blocks of one connection. */
export class HeaderBlocks {
  #pending: PendingBlock | undefined;

  constructor(readonly conn: H2Connection) {}

  /**
   * While a block is open only its CONTINUATION may come (§6.10): anything
   * else is a connection error. Returns `true` when `frame` was consumed.
   */
  expecting(frame: Frame): boolean {
    const pending = this.#pending;
    if (pending === undefined) return false;
    if (frame.type !== FrameType.CONTINUATION || frame.streamId !== pending.streamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "a header block was interrupted");
    }
    this.#append(pending, frame.payload, frame.flags);
    return true;
  }

  onContinuation(_frame: Frame): void {
    throw new H2Error(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without a header block");
  }

  onHeaders({ streamId, flags, payload }: Frame): void {
    if (streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
    let start = 0;
    let end = payload.length;
    if ((flags & Flag.PADDED) !== 0) {
      if (payload.length === 0) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "HEADERS length");
      start = 1;
      end -= payload[0];
    }
    const priority = start;
    if ((flags & Flag.PRIORITY) !== 0) start += 5;
    if (end < start) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "HEADERS padding too long");
    const pending: PendingBlock = {
      streamId,
      endStream: (flags & Flag.END_STREAM) !== 0,
      fragments: [],
      size: 0,
      frames: 0,
      dependsOnItself: start > priority && readUint31(payload, priority) === streamId,
    };
    // The common HEADERS, neither padded nor prioritised, is its own fragment: no view made.
    const fragment = start === 0 && end === payload.length ? payload : payload.subarray(start, end);
    this.#append(pending, fragment, flags);
  }

  #append(pending: PendingBlock, fragment: Uint8Array, flags: number): void {
    const { maxHeaderListSize, maxHeaderBlockFrames } = this.conn.limits;
    pending.size += fragment.length;
    pending.frames++;
    if (pending.size > maxHeaderListSize) {
      throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "header block too large");
    }
    if (pending.frames > maxHeaderBlockFrames) {
      throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "header block in too many frames");
    }
    if ((flags & Flag.END_HEADERS) === 0) {
      // Fragments are views of the connection's read buffer: one kept past this frame is copied.
      pending.fragments.push(fragment.slice());
      this.#pending = pending;
      return;
    }
    this.#pending = undefined;
    this.#complete(pending, this.#decode(pending, fragment));
  }

  /** Decodes the block whose last fragment is `last` (the block itself when it came in one frame). */
  #decode(pending: PendingBlock, last: Uint8Array): [string, string][] | string {
    const { fragments } = pending;
    let block = last;
    if (fragments.length > 0) {
      fragments.push(last);
      block = new Uint8Array(pending.size);
      let at = 0;
      for (const f of fragments) {
        block.set(f, at);
        at += f.length;
      }
    }
    try {
      return this.conn.decoder.decode(block);
    } catch (error) {
      // The block decoded completely (the table is in step) but a field is invalid or the list too large.
      if (error instanceof HpackFieldError) return error.message;
      throw new H2Error(ErrorCode.COMPRESSION_ERROR, "header block cannot be decoded");
    }
  }

  #complete(pending: PendingBlock, fields: [string, string][] | string): void {
    const conn = this.conn;
    const { streamId, endStream } = pending;
    const stream = conn.streams.get(streamId);
    if (stream !== undefined) {
      if (typeof fields === "string") throw new H2Error(ErrorCode.PROTOCOL_ERROR, fields, streamId);
      if (pending.dependsOnItself) {
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, "a stream depends on itself", streamId);
      }
      return this.#trailers(stream, endStream, fields);
    }
    if (streamId <= conn.lastStreamId) {
      if (conn.recentlyReset.has(streamId)) return;
      throw new H2Error(ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream");
    }
    if (streamId % 2 === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "even stream id");
    conn.lastStreamId = streamId;
    // Past our GOAWAY: not served, and the client knows to retry it elsewhere.
    if (conn.goawaySent || conn.peerGoneAway) return conn.ignoreStream(streamId);
    if (pending.dependsOnItself) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "a stream depends on itself", streamId);
    }
    if (conn.streams.size >= conn.limits.maxConcurrentStreams) {
      conn.writeReset(streamId, ErrorCode.REFUSED_STREAM);
      if (!conn.budgets.reset.take()) {
        throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "too many refused streams");
      }
      return;
    }
    const head = typeof fields === "string" ? fields : parseRequestHead(fields);
    if (typeof head === "string") {
      conn.options.logger?.debug("malformed HTTP/2 request", { reason: head });
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, head, streamId);
    }
    this.#start(streamId, endStream, head);
  }

  #trailers(stream: H2Stream, endStream: boolean, fields: [string, string][]): void {
    if (stream.remoteClosed) {
      throw new H2Error(ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM", stream.id);
    }
    if (!endStream || !validTrailers(fields)) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "malformed trailers", stream.id);
    }
    this.conn.endOfRequest(stream);
  }

  #start(id: number, endStream: boolean, head: RequestHead): void {
    const conn = this.conn;
    const { method } = head;
    const hasBody = !endStream && method !== "GET" && method !== "HEAD";
    const stream = new H2Stream(
      id,
      conn,
      conn.peer.initialWindow,
      conn.limits.streamWindow,
      head.contentLength,
      hasBody,
      conn.options.remoteAddr,
    );
    if (endStream) stream.remoteClosed = true;
    if (endStream && head.contentLength !== undefined && head.contentLength !== 0) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "content-length mismatch", id);
    }
    const url = `${conn.options.scheme}://${head.authority ?? "localhost"}${head.path}`;
    if (
      conn.options.fields !== undefined && endStream && !hasBody && parsesAsUrl(conn, head, url)
    ) {
      const answer = fastAnswer(conn, stream, head, url);
      if (answer !== undefined) {
        conn.addStream(stream);
        void sendFastAnswer(conn, stream, answer, method === "HEAD");
        return;
      }
    }
    let request: Request;
    try {
      request = new Request(url, {
        method,
        headers: headersOf(head),
        body: hasBody ? stream.body() : null,
        signal: stream.abort.signal,
        // @ts-ignore: `duplex` is required by fetch for a streamed body.
        duplex: "half",
      });
    } catch {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "invalid request target or authority", id);
    }
    conn.addStream(stream);
    void serve(conn, stream, request);
  }
}

async function serve(
  conn: H2Connection,
  stream: H2Stream,
  request: Request,
): Promise<void> {
  const { handler, onError } = conn.options;
  let response: Response;
  try {
    response = await handler(request, stream.info);
  } catch (error) {
    try {
      response = await onError(error);
    } catch {
      response = new Response("Internal error\n", { status: 500 });
    }
  }
  try {
    await sendResponse(stream, response, request.method === "HEAD");
  } catch (error) {
    conn.options.logger?.error("HTTP/2 response failed", { error });
    conn.resetStream(stream, ErrorCode.INTERNAL_ERROR);
  }
  // The stream is gone now, or half-closed (local) until the client ends it.
  if (!stream.localClosed) conn.resetStream(stream, ErrorCode.INTERNAL_ERROR);
}
