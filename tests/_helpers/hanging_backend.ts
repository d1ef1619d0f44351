/**
 * Backends for tests of a client that goes away: a request whose path
 * starts with `/ok` is answered at once; `/stream...` gets a response head
 * and the first chunk of a body that never ends; any other path is
 * accepted and never answered. Each records, by path, when the request
 * arrived and when its connection (HTTP/1.1) or stream (HTTP/2) closed, so
 * a test awaits those events instead of waiting for time.
 * @module
 */
import type http2 from "node:http2";
import { serveLoopback } from "./loopback_server.ts";
import { type H2Backend, startH2Backend } from "./h2_backend.ts";

/** The events of one request path. */
interface PathEvents {
  received: PromiseWithResolvers<void>;
  closed: PromiseWithResolvers<void>;
}

/** A backend that records, per path, the request's arrival and its close. */
export interface HangingBackend extends AsyncDisposable {
  readonly port: number;
  /** Every request path, in arrival order. */
  readonly paths: string[];
  /** Resolves when a request for `path` arrived. */
  received(path: string): Promise<void>;
  /** Resolves when the connection (or HTTP/2 stream) that carried `path` closed. */
  closed(path: string): Promise<void>;
}

class Events {
  readonly paths: string[] = [];
  readonly #byPath = new Map<string, PathEvents>();

  of(path: string): PathEvents {
    let events = this.#byPath.get(path);
    if (events === undefined) {
      events = { received: Promise.withResolvers(), closed: Promise.withResolvers() };
      this.#byPath.set(path, events);
    }
    return events;
  }

  arrived(path: string): void {
    this.paths.push(path);
    this.of(path).received.resolve();
  }
}

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const OK = encoder.encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
const STREAM_HEAD = encoder.encode(
  "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n" +
    "6\r\nhello\n\r\n",
);

/** An HTTP/1.1 backend (keep-alive; request heads only, no bodies). */
export function startHangingBackend(): HangingBackend {
  const events = new Events();
  const server = serveLoopback(async (conn) => {
    const buf = new Uint8Array(16 * 1024);
    let text = "";
    // Paths this connection carried, each closed with it.
    const carried: string[] = [];
    try {
      for (;;) {
        const end = text.indexOf("\r\n\r\n");
        if (end === -1) {
          const n = await conn.read(buf);
          if (n === null) return;
          text += latin1.decode(buf.subarray(0, n));
          continue;
        }
        const path = text.slice(0, text.indexOf("\r\n")).split(" ")[1];
        text = text.slice(end + 4);
        carried.push(path);
        events.arrived(path);
        if (path.startsWith("/ok")) await conn.write(OK);
        else if (path.startsWith("/stream")) await conn.write(STREAM_HEAD);
      }
    } finally {
      for (const path of carried) events.of(path).closed.resolve();
    }
  });
  return {
    port: server.port,
    paths: events.paths,
    received: (path) => events.of(path).received.promise,
    closed: (path) => events.of(path).closed.promise,
    [Symbol.asyncDispose]: () => server.close(),
  };
}

/**
 * An HTTP/2 backend (h2c by prior knowledge); `closed` is the stream's
 * close, and `rstCodes` its reset code by path (0: it ended without one).
 */
export async function startHangingH2Backend(): Promise<
  HangingBackend & { h2: H2Backend; rstCodes: Map<string, number> }
> {
  const events = new Events();
  const rstCodes = new Map<string, number>();
  const h2 = await startH2Backend((stream: http2.ServerHttp2Stream, headers) => {
    const path = String(headers[":path"]);
    events.arrived(path);
    stream.on("close", () => {
      rstCodes.set(path, stream.rstCode);
      events.of(path).closed.resolve();
    });
    if (path.startsWith("/ok")) {
      stream.respond({ ":status": 200, "content-length": "2" });
      stream.end("ok");
    } else if (path.startsWith("/stream")) {
      stream.respond({ ":status": 200, "content-type": "text/event-stream" });
      stream.write("hello\n");
    }
  });
  return {
    h2,
    rstCodes,
    port: h2.port,
    paths: events.paths,
    received: (path) => events.of(path).received.promise,
    closed: (path) => events.of(path).closed.promise,
    [Symbol.asyncDispose]: () => h2.close(),
  };
}
