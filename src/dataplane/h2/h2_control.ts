/**
 * The control frames of an HTTP/2 connection, server side: SETTINGS, PING,
 * GOAWAY, WINDOW_UPDATE, RST_STREAM, PRIORITY (read and ignored),
 * PUSH_PROMISE (a client may not send one) and unknown types (ignored,
 * RFC 9113 §5.5). Each check names the section whose error it raises; the
 * flood budgets of `h2_limits.ts` are spent here.
 *
 * @example
 * ```ts
 * import { H2Error } from "./h2_control.ts";
 * import { ErrorCode } from "./h2_frames.ts";
 * const error = new H2Error(ErrorCode.PROTOCOL_ERROR, "PING on stream 1");
 * console.log(error.streamId); // undefined: a connection error
 * ```
 * @module
 */
import type { H2ConnectionCore as H2Connection } from "./h2_core.ts";
import {
  ErrorCode,
  Flag,
  type Frame,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  pingFrame,
  readUint31,
  readUint32,
  Setting,
  settingsFrame,
} from "./h2_frames.ts";

/** A protocol error: of the connection, or of `streamId` when given. */
export class H2Error extends Error {
  constructor(readonly code: number, message: string, readonly streamId?: number) {
    super(message);
    this.name = "H2Error";
  }
}

const calm = (what: string) => new H2Error(ErrorCode.ENHANCE_YOUR_CALM, `too many ${what}`);

/** Handles every frame type but DATA, HEADERS and CONTINUATION. */
export function onControlFrame(conn: H2Connection, frame: Frame): void {
  switch (frame.type) {
    case FrameType.SETTINGS:
      return onSettings(conn, frame);
    case FrameType.PING:
      return onPing(conn, frame);
    case FrameType.WINDOW_UPDATE:
      return onWindowUpdate(conn, frame);
    case FrameType.RST_STREAM:
      return onReset(conn, frame);
    case FrameType.GOAWAY:
      return onGoaway(conn, frame);
    case FrameType.PRIORITY:
      return onPriority(frame);
    case FrameType.PUSH_PROMISE:
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
  }
  // Unknown frame types are ignored (§5.5).
}

function onSettings(conn: H2Connection, { flags, streamId, payload }: Frame): void {
  if (streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
  if ((flags & Flag.ACK) !== 0) {
    if (payload.length !== 0) {
      throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
    }
    return;
  }
  if (payload.length % 6 !== 0) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length");
  if (!conn.budgets.settings.take()) throw calm("SETTINGS frames");
  for (let i = 0; i < payload.length; i += 6) {
    applySetting(conn, (payload[i] << 8) | payload[i + 1], readUint32(payload, i + 2));
  }
  conn.write(settingsFrame([], true));
  conn.wakeSenders();
}

function applySetting(conn: H2Connection, id: number, value: number): void {
  switch (id) {
    case Setting.HEADER_TABLE_SIZE:
      conn.encoder.setMaxTableSize(Math.min(value, 4096));
      return;
    case Setting.ENABLE_PUSH:
      if (value > 1) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "SETTINGS_ENABLE_PUSH not 0 or 1");
      return;
    case Setting.INITIAL_WINDOW_SIZE: {
      if (value > MAX_WINDOW) {
        throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE too large");
      }
      const delta = value - conn.peer.initialWindow;
      conn.peer.initialWindow = value;
      for (const stream of conn.streams.values()) {
        stream.sendWindow += delta;
        if (stream.sendWindow > MAX_WINDOW) {
          throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "a stream window overflows");
        }
      }
      return;
    }
    case Setting.MAX_FRAME_SIZE:
      if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE out of range");
      }
      conn.peer.maxFrameSize = value;
      return;
  }
  // MAX_CONCURRENT_STREAMS limits pushes, which we never send; unknown settings are ignored.
}

function onPing(conn: H2Connection, { flags, streamId, payload }: Frame): void {
  if (streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
  if (payload.length !== 8) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "PING length");
  if ((flags & Flag.ACK) !== 0) return;
  if (!conn.budgets.ping.take()) throw calm("PING frames");
  conn.write(pingFrame(true, payload));
}

function onWindowUpdate(conn: H2Connection, { streamId, payload }: Frame): void {
  if (payload.length !== 4) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE length");
  if (!conn.budgets.windowUpdate.take()) throw calm("WINDOW_UPDATE frames");
  const increment = readUint31(payload, 0);
  if (streamId === 0) {
    if (increment === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    conn.sendWindow += increment;
    if (conn.sendWindow > MAX_WINDOW) {
      throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "the connection window overflows");
    }
    return conn.wakeSenders();
  }
  const stream = conn.streams.get(streamId);
  if (stream === undefined) {
    if (streamId > conn.lastStreamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
    }
    return; // A closed stream: a late update is harmless.
  }
  if (increment === 0) {
    throw new H2Error(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0", streamId);
  }
  stream.sendWindow += increment;
  if (stream.sendWindow > MAX_WINDOW) {
    throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, "the stream window overflows", streamId);
  }
  conn.wakeSenders();
}

function onReset(conn: H2Connection, { streamId, payload }: Frame): void {
  if (streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
  if (payload.length !== 4) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM length");
  const stream = conn.streams.get(streamId);
  if (stream === undefined) {
    if (streamId > conn.lastStreamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    }
    // Both sides reset it: nothing more is in flight, so later frames are errors (§5.1).
    conn.recentlyReset.delete(streamId);
    return;
  }
  // A request torn down before its answer: what CVE-2023-44487 floods with.
  const early = !stream.responseEnded;
  stream.localClosed = true;
  stream.fail(new Error(`The client reset the stream (code ${readUint32(payload, 0)})`));
  conn.forget(stream);
  if (early && !conn.budgets.reset.take()) throw calm("reset streams");
}

function onGoaway(conn: H2Connection, { streamId, payload }: Frame): void {
  if (streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
  if (payload.length < 8) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY length");
  conn.peerGoneAway = true;
  conn.maybeFinish();
}

function onPriority({ streamId, payload }: Frame): void {
  if (streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
  if (payload.length !== 5) {
    throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, "PRIORITY length", streamId);
  }
  if (readUint31(payload, 0) === streamId) {
    throw new H2Error(ErrorCode.PROTOCOL_ERROR, "a stream depends on itself", streamId);
  }
}
