/**
 * Reads of a libc socket without a promise (`libc_socket.ts` `readNow` and
 * `onReadable`), through real loopback connections and the isolate's epoll
 * set: bytes already there, bytes that come later, the end after a short
 * read, a close while the callback waits; then the two owners that watch
 * their sockets this way, our HTTP/1.1 server between requests and a
 * parked upstream connection. Every wait is for an event (a callback, a
 * close), never for time.
 */
import { assert, assertEquals, assertThrows } from "@std/assert";
import type { LibcConn } from "../../src/dataplane/libc_socket.ts";
import { libcPair as pair } from "../_helpers/libc_pair.ts";
import { libcReactor } from "../../src/dataplane/libc_reactor.ts";
import { libcListen } from "../../src/dataplane/libc_listener.ts";
import { createConnectionWatcher } from "../../src/dataplane/client_timeouts.ts";
import { serveConnections } from "../../src/dataplane/connection_server.ts";
import { serveH1 } from "../../src/dataplane/h1/h1_connection.ts";
import { createHttp1Client } from "../../src/dataplane/upstream_http1.ts";
import { socketsWhenAbsent } from "../../src/dataplane/libc_sockets.ts";
import { createLogger } from "../../src/log/logger.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const reactor = libcReactor();
const ignore = "problem" in reactor;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Calls of `conn`'s readable callback, each resolving the promise `next()` handed out before it. */
function callbacks(conn: LibcConn): { count: () => number; next: () => Promise<void> } {
  let calls = 0;
  let waiting: (() => void) | undefined;
  conn.onReadable(() => {
    calls++;
    const wake = waiting;
    waiting = undefined;
    wake?.();
  });
  return {
    count: () => calls,
    next: () => new Promise<void>((resolve) => waiting = resolve),
  };
}

/** Everything `readNow` gives until the socket holds nothing now (`undefined`) or ends (`null`). */
function drain(conn: LibcConn, into: number[]): number | null | undefined {
  const buf = new Uint8Array(2);
  for (;;) {
    const n = conn.readNow(buf);
    if (n === null || n === undefined) return n;
    into.push(...buf.subarray(0, n));
  }
}

Deno.test({
  name: "readNow: bytes already there come at once, with no promise; then nothing is undefined",
  ignore,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      const told = callbacks(conn);
      const reported = told.next();
      await peer.write(encoder.encode("hello"));
      await reported;
      const buf = new Uint8Array(16);
      const n = conn.readNow(buf);
      assertEquals(n, 5);
      assertEquals(decoder.decode(buf.subarray(0, 5)), "hello");
      assertEquals(conn.readNow(buf), undefined);
    } finally {
      close();
    }
    if (!ignore) await (reactor as { idle(): Promise<void> }).idle();
  },
});

Deno.test({
  name: "readNow: before the bytes come it is undefined, and the callback hears them arrive",
  ignore,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      const told = callbacks(conn);
      const buf = new Uint8Array(16);
      assertEquals(conn.readNow(buf), undefined);
      const reported = told.next();
      await peer.write(encoder.encode("later"));
      await reported;
      assertEquals(conn.readNow(buf), 5);
      assertEquals(decoder.decode(buf.subarray(0, 5)), "later");
    } finally {
      close();
    }
  },
});

Deno.test({
  name: "readNow: the end after a short read is null, after every byte",
  ignore,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      const told = callbacks(conn);
      const got: number[] = [];
      let reported = told.next();
      await peer.write(encoder.encode("abc"));
      peer.close();
      let last = drain(conn, got);
      while (last !== null) {
        await reported;
        reported = told.next();
        last = drain(conn, got);
      }
      assertEquals(decoder.decode(new Uint8Array(got)), "abc");
      assertEquals(conn.readNow(new Uint8Array(4)), null, "the end stays the end");
    } finally {
      close();
    }
  },
});

Deno.test({
  name: "readNow: a close while the callback waits tells it once; readNow then throws BadResource",
  ignore,
  fn: async () => {
    const { conn, close } = await pair();
    try {
      const told = callbacks(conn);
      assertEquals(conn.readNow(new Uint8Array(4)), undefined);
      conn.close();
      assertEquals(told.count(), 1);
      assertThrows(() => conn.readNow(new Uint8Array(4)), Deno.errors.BadResource);
    } finally {
      close();
    }
  },
});

Deno.test({
  name: "readNow: while a read waits it is undefined, and the waiting read gets the bytes",
  ignore,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      const told = callbacks(conn);
      const buf = new Uint8Array(16);
      const reading = conn.read(buf);
      assertEquals(conn.readNow(new Uint8Array(4)), undefined);
      await peer.write(encoder.encode("mine"));
      assertEquals(await reading, 4);
      assertEquals(decoder.decode(buf.subarray(0, 4)), "mine");
      assertEquals(told.count(), 0, "a report a read took does not reach the callback");
    } finally {
      close();
    }
  },
});

/** Reads from `conn` until `marker` has come `count` times, or the end. */
async function readUntil(conn: Deno.Conn, marker: string, count: number): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  while (text.split(marker).length - 1 < count) {
    const n = await conn.read(buf);
    if (n === null) return text;
    text += decoder.decode(buf.subarray(0, n));
  }
  return text;
}

Deno.test({
  name:
    "libc h1: a kept-alive client is served its next request whether it comes at once or later, and the idle timeout drops it while the server waits",
  ignore,
  fn: async () => {
    const clock = new FakeClock();
    const watcher = createConnectionWatcher({
      timeouts: { headerMs: 1_000, idleMs: 5_000, bodyMs: 0, streamMs: 0 },
      clock,
      tickMs: 0,
    });
    const listener = libcListen({ hostname: "127.0.0.1", port: 0 });
    assert(!("problem" in listener));
    const server = serveConnections({
      listener,
      handler: (req) => new Response(`seen ${new URL(req.url).pathname}\n`),
      onError: () => new Response("failed\n", { status: 500 }),
      logger: createLogger({ level: "error", write: () => {} }),
      watcher,
      engine: (conn, handler, onError, fields) =>
        serveH1(conn, { handler, onError, fields, scheme: "http" }),
    });
    const client = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    try {
      const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: a\r\n\r\n`;
      // Two pipelined: the second is there when the first is answered.
      await client.write(encoder.encode(get("/one") + get("/two")));
      const both = await readUntil(client, "seen ", 2);
      assert(both.includes("seen /one") && both.includes("seen /two"), both);
      // The next comes later, while the server waits for it.
      await client.write(encoder.encode(get("/three")));
      assert((await readUntil(client, "seen ", 1)).includes("seen /three"));
      // Nothing more: the idle timeout passes while the server waits for a head.
      await clock.advance(5_000);
      watcher.sweep();
      assertEquals(await client.read(new Uint8Array(64)).catch(() => null), null);
    } finally {
      client.close();
      await server.shutdown();
    }
    if (!ignore) await (reactor as { idle(): Promise<void> }).idle();
  },
});

Deno.test({
  name:
    "libc upstream: a parked connection the backend closes leaves the pool with no read pending, and the next request opens another",
  ignore,
  fn: async () => {
    socketsWhenAbsent("libc");
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted: Deno.Conn[] = [];
    const serving = (async () => {
      for await (const conn of listener) {
        accepted.push(conn);
        (async () => {
          const buf = new Uint8Array(4096);
          while (true) {
            const n = await conn.read(buf).catch(() => null);
            if (n === null) return;
            await conn.write(encoder.encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))
              .catch(() => {});
          }
        })();
      }
    })();
    const client = createHttp1Client();
    const ep = { address: "127.0.0.1", port: listener.addr.port };
    const request = () =>
      client.request(ep, {
        method: "GET",
        target: "/",
        headers: ["host", "a"],
        body: null,
        contentLength: null,
      }, { timeoutMs: 0 });
    try {
      const first = await request();
      assertEquals(first.status, 200);
      assertEquals(client.stats().idle, 1);
      // The backend closes the parked connection: its report ends it in the pool.
      accepted[0].close();
      await waitFor("the pool dropping it", () => client.stats().idle === 0);
      const second = await request();
      assertEquals(second.status, 200);
      assertEquals(accepted.length, 2, "a fresh connection, not the closed one");
    } finally {
      client.close();
      listener.close();
      await serving.catch(() => {});
      for (const conn of accepted) {
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      }
    }
    if (!ignore) await (reactor as { idle(): Promise<void> }).idle();
  },
});

Deno.test({
  name: "readNow: a callback that throws when told of the close does not stop the close",
  ignore,
  fn: async () => {
    const { conn, close } = await pair();
    try {
      conn.onReadable(() => {
        throw new Error("the owner's own failure");
      });
      conn.close();
      assertThrows(() => conn.readNow(new Uint8Array(4)), Deno.errors.BadResource);
    } finally {
      close();
    }
  },
});
