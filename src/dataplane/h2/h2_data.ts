/**
 * DATA frames of an HTTP/2 connection, server side (RFC 9113 §6.1): both
 * windows spent and checked, padding credited back at once, the payload
 * handed to its stream (which copies what it keeps: the payload is a view
 * of the connection's read buffer), and the stream-state, `content-length`
 * and empty-DATA rules.
 * @module
 */
import type { H2ConnectionCore as H2Connection } from "./h2_core.ts";
import { H2Error } from "./h2_control.ts";
import { ErrorCode, Flag, type Frame } from "./h2_frames.ts";

/** Handles one DATA frame; throws {@linkcode H2Error} for a connection or stream error. */
export function onData(conn: H2Connection, frame: Frame): void {
  const { streamId, payload, flags } = frame;
  if (streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
  if (payload.length > conn.recvWindow) {
    throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
  }
  conn.recvWindow -= payload.length;
  let data = payload;
  if ((flags & Flag.PADDED) !== 0) {
    if (payload.length === 0 || payload[0] >= payload.length) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "DATA padding exceeds the payload");
    }
    data = payload.subarray(1, payload.length - payload[0]);
  }
  const stream = conn.streams.get(streamId);
  // Padding, and DATA no stream will read, is credited back at once.
  conn.creditConnection(payload.length - (stream === undefined ? 0 : data.length));
  if (stream === undefined) {
    if (streamId > conn.lastStreamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream");
    }
    // A stream we reset or did not serve: the client had the DATA in flight (§5.1).
    if (conn.recentlyReset.has(streamId)) return;
    // Ended by both sides or reset by the client: more DATA is a stream error (§5.1).
    throw new H2Error(ErrorCode.STREAM_CLOSED, "DATA on a closed stream", streamId);
  }
  if (stream.remoteClosed) {
    conn.creditConnection(data.length);
    throw new H2Error(ErrorCode.STREAM_CLOSED, "DATA after END_STREAM", streamId);
  }
  if (payload.length > stream.recvWindow) {
    conn.creditConnection(data.length);
    throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the stream window", streamId);
  }
  stream.recvWindow -= payload.length;
  const end = (flags & Flag.END_STREAM) !== 0;
  if (data.length === 0 && !end && !conn.budgets.emptyData.take()) {
    throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, "too many empty DATA frames");
  }
  stream.receive(data);
  if (stream.contentLength !== undefined && stream.received > stream.contentLength) {
    throw new H2Error(ErrorCode.PROTOCOL_ERROR, "DATA beyond content-length", streamId);
  }
  if (end) return conn.endOfRequest(stream);
  // Answered, and the client spent the window we left it without ending the request:
  // ask it to stop sending (§8.1) rather than reopen the window for bytes we drop.
  if (stream.localClosed && stream.recvWindow <= 0) conn.resetStream(stream, ErrorCode.NO_ERROR);
}
