/**
 * What the parts of an HTTP/2 connection (`h2_control.ts`,
 * `h2_header_block.ts`) see of it: the state they read and change and the
 * writes they make. `h2_connection.ts` implements it; the parts import only
 * this, so no module imports another in a loop.
 * @module
 */
import type { Logger } from "../../log/logger.ts";
import type { Clock } from "../../time/clock.ts";
import type { ConnectionHandler } from "../serve_connection.ts";
import type { FieldsHandler } from "../field_headers.ts";
import type { FloodBudgets, H2Limits } from "./h2_limits.ts";
import type { H2Stream, H2StreamHost } from "./h2_stream.ts";
import type { HpackDecoder, HpackEncoder } from "./hpack.ts";

/** Where a connection's output goes. */
export interface H2Transport {
  /** Queues bytes for the client, in order. */
  write(bytes: Uint8Array): void;
  /** Bytes queued and not yet written. */
  buffered(): number;
  /** Resolves once the queue fell below the connection's output bound (or the transport closed). */
  ready(): Promise<void>;
  /** Writes what is queued, then closes. */
  end(): void;
}

/** Options of {@linkcode H2Connection}. */
export interface H2ConnectionOptions {
  handler: ConnectionHandler;
  /** The port's fast path for GET and HEAD streams (`h2_fast.ts`); absent: every stream takes `handler`. */
  fields?: FieldsHandler;
  onError: (error: unknown) => Response | Promise<Response>;
  /** `http` or `https`: the scheme of the request URLs (the listener's, not the client's claim). */
  scheme: "http" | "https";
  remoteAddr: Deno.NetAddr;
  transport: H2Transport;
  limits?: Partial<H2Limits>;
  /** Time for the flood budgets; default the system clock. */
  clock?: Clock;
  logger?: Logger;
  /** Told once when the connection ends with an error code other than NO_ERROR. */
  onConnectionError?: (code: number, reason: string) => void;
}

/** The connection as its parts see it. */
export interface H2ConnectionCore extends H2StreamHost {
  readonly limits: H2Limits;
  readonly options: H2ConnectionOptions;
  readonly budgets: FloodBudgets;
  readonly streams: Map<number, H2Stream>;
  readonly decoder: HpackDecoder;
  readonly encoder: HpackEncoder;
  /** Streams we reset lately: frames the client had in flight for them are ignored (§5.1). */
  readonly recentlyReset: Set<number>;
  /** The highest stream id the client opened. */
  lastStreamId: number;
  /** What the client advertised. */
  peer: { initialWindow: number; maxFrameSize: number };
  /** What we may still send on the connection. */
  sendWindow: number;
  /** What the client may still send on the connection before we credit more. */
  recvWindow: number;
  goawaySent: boolean;
  peerGoneAway: boolean;
  /** Queues bytes for the client. */
  write(bytes: Uint8Array): void;
  /** Sends RST_STREAM for `id` and remembers it for a while. */
  writeReset(id: number, code: number): void;
  /** Frames still in flight for stream `id` are dropped quietly (it was reset or not served). */
  ignoreStream(id: number): void;
  /** `n` bytes of DATA were read or dropped: the connection's window may reopen. */
  creditConnection(n: number): void;
  /** The windows grew (or a stream ended): waiting senders look again. */
  wakeSenders(): void;
  /** Starts serving a new stream whose request head was accepted. */
  addStream(stream: H2Stream): void;
  /** END_STREAM arrived on `stream`; throws a stream error when the body contradicts content-length. */
  endOfRequest(stream: H2Stream): void;
  /** Drops `stream` from the connection and ends it for the handler. */
  forget(stream: H2Stream): void;
  /** After GOAWAY either way, the connection closes once its responses ended. */
  maybeFinish(): void;
}
