/**
 * The gateway's own accept loop: Deno's internal per-connection entry point
 * (fails loudly if it changes), connection limits, accept errors that never
 * escape, and shedding when descriptors run out. Every wait is for an event
 * (a response, a close), never for time.
 */
import { assert, assertEquals } from "@std/assert";
import { createConnectionWatcher } from "../../src/dataplane/client_timeouts.ts";
import {
  ConnectionBudget,
  isOutOfDescriptors,
  MIN_LEARNED_LIMIT,
  serveConnections,
} from "../../src/dataplane/connection_server.ts";
import {
  assertServeInternals,
  PINNED_SERVE_DENO_VERSION,
  serveConnection,
} from "../../src/dataplane/serve_connection.ts";
import { createLogger } from "../../src/log/logger.ts";
import { tcpPair } from "../_helpers/tcp_pair.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const GET = encoder.encode("GET / HTTP/1.1\r\nHost: t\r\n\r\n");

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function ok(): Response {
  return new Response("ok");
}

function fail(): Response {
  return new Response("error", { status: 500 });
}

/** Reads until the response's end of body ("ok"), or `null` when the server closed first. */
async function exchange(conn: Deno.Conn): Promise<string | null> {
  await conn.write(GET);
  let text = "";
  const buffer = new Uint8Array(4096);
  while (!text.endsWith("ok")) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return text === "" ? null : text;
    text += decoder.decode(buffer.subarray(0, n));
  }
  return text;
}

/** Resolves once the server closed `conn` (EOF or reset). */
async function closedByServer(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return;
  }
}

function connect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

Deno.test("Deno is the pinned version whose serveHttpOnConnection serve_connection.ts uses", () => {
  assertEquals(Deno.version.deno, PINNED_SERVE_DENO_VERSION);
  assertServeInternals();
});

Deno.test("serveConnection serves a plain TCP connection, and close drops it mid-head", async () => {
  const { client, server } = await tcpPair();
  const served = serveConnection(server, ok, fail);
  assert((await exchange(client))?.startsWith("HTTP/1.1 200"));
  await client.write(encoder.encode("GET / HTTP/1.1\r\nHost: t\r\n"));
  served.close();
  await closedByServer(client);
  await served.finished;
  assert(served.closed);
  served.close(); // A no-op once closed: Deno's abort listener would throw.
  client.close();
});

Deno.test("past the per-listener limit a new connection is closed at once", async () => {
  const { logger, lines } = recordingLogger();
  const server = serveConnections({
    listener: Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    handler: ok,
    onError: fail,
    logger,
    maxConnections: 2,
  });
  const first = await connect(server.addr.port);
  const second = await connect(server.addr.port);
  assert(await exchange(first));
  assert(await exchange(second));
  const third = await connect(server.addr.port);
  assertEquals(await exchange(third), null);
  assertEquals(server.rejected(), 1);
  assert(lines.some((l) => String(l.msg).includes("connection limit is reached")));
  first.close();
  second.close();
  third.close();
  await server.shutdown();
});

Deno.test("one budget limits the connections of several listeners together", async () => {
  const { logger } = recordingLogger();
  const budget = new ConnectionBudget(1);
  const make = () =>
    serveConnections({
      listener: Deno.listen({ hostname: "127.0.0.1", port: 0 }),
      handler: ok,
      onError: fail,
      logger,
      budget,
    });
  const a = make();
  const b = make();
  const held = await connect(a.addr.port);
  assert(await exchange(held));
  const refused = await connect(b.addr.port);
  assertEquals(await exchange(refused), null);
  held.close();
  refused.close();
  await a.shutdown();
  await b.shutdown();
  assertEquals(budget.open, 0);
});

/** A listener whose next accept fails with EMFILE when asked. */
function flakyListener() {
  const inner = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let failNext = false;
  const listener = {
    addr: inner.addr,
    accept(): Promise<Deno.Conn> {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error("Too many open files (os error 24)"));
      }
      return inner.accept();
    },
    close: () => inner.close(),
  } as unknown as Deno.Listener;
  return { listener, failNextAccept: () => failNext = true };
}

Deno.test("EMFILE on accept is survived: the limit drops and idle connections are shed, oldest first", async () => {
  const { logger, lines } = recordingLogger();
  const budget = new ConnectionBudget(0);
  const watcher = createConnectionWatcher({
    timeouts: { headerMs: 0, idleMs: 0, bodyMs: 0, streamMs: 0 },
  });
  const flaky = flakyListener();
  const server = serveConnections({
    listener: flaky.listener,
    handler: ok,
    onError: fail,
    logger,
    budget,
    watcher,
  });
  const port = server.addr.port;
  const idle: Deno.Conn[] = [];
  for (let i = 0; i < MIN_LEARNED_LIMIT + 4; i++) {
    const conn = await connect(port);
    assert(await exchange(conn));
    idle.push(conn);
  }
  // The loop awaits an accept already; the one after the next connection fails.
  flaky.failNextAccept();
  const trigger = await connect(port);
  await Promise.all(idle.slice(0, 5).map(closedByServer));
  assertEquals(budget.max, MIN_LEARNED_LIMIT);
  assert(lines.some((l) => l.msg === "Out of file descriptors: limiting client connections"));
  // Still serving: the connections kept, and new ones within the learned limit.
  assert(await exchange(idle[5]));
  for (const conn of [...idle, trigger]) conn.close();
  // The server notices the closes asynchronously; then there is room again.
  await waitFor("the closed connections to be released", () => budget.open === 0);
  const after = await connect(port);
  assert(await exchange(after));
  after.close();
  await server.shutdown();
  watcher.stop();
});

Deno.test("isOutOfDescriptors knows EMFILE and ENFILE", () => {
  assert(isOutOfDescriptors(new Error("Too many open files (os error 24)")));
  assert(isOutOfDescriptors(new Error("Too many open files in system (os error 23)")));
  assert(!isOutOfDescriptors(new Error("Connection reset by peer (os error 104)")));
});

function drainableServer() {
  const { logger } = recordingLogger();
  const watcher = createConnectionWatcher({
    timeouts: { headerMs: 60_000, idleMs: 60_000, bodyMs: 0, streamMs: 0 },
    tickMs: 0,
  });
  const server = serveConnections({
    listener: Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    handler: ok,
    onError: fail,
    logger,
    watcher,
  });
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  return { server, watcher, connect };
}

Deno.test("while draining, HTTP/1 answers carry Connection: close and the server closes after them", async () => {
  const { server, watcher, connect } = drainableServer();
  const conn = await connect();
  try {
    const before = await exchange(conn);
    assert(before !== null && !/connection: close/i.test(before), before ?? "");
    server.drain();
    const during = await exchange(conn);
    assert(during !== null && /\r\nconnection: close\r\n/i.test(during), during ?? "");
    await closedByServer(conn);
  } finally {
    conn.close();
    await server.shutdown();
    watcher.stop();
  }
});

Deno.test("at shutdown, a connection accepted before its first request is served that request, then closed", async () => {
  const { server, watcher, connect } = drainableServer();
  const conn = await connect();
  try {
    await waitFor("the connection accepted", () => server.connections() === 1);
    const stopped = server.shutdown();
    // The listener is closed by now; the request already on its way is still answered.
    const answer = await exchange(conn);
    assert(answer !== null && answer.startsWith("HTTP/1.1 200"), answer ?? "no answer");
    assert(/\r\nconnection: close\r\n/i.test(answer), answer);
    await closedByServer(conn);
    await stopped;
  } finally {
    conn.close();
    watcher.stop();
  }
});

Deno.test("at shutdown, an idle kept-alive connection is closed at once", async () => {
  const { server, watcher, connect } = drainableServer();
  const conn = await connect();
  try {
    assert((await exchange(conn))?.startsWith("HTTP/1.1 200"));
    await server.shutdown();
    await closedByServer(conn);
  } finally {
    conn.close();
    watcher.stop();
  }
});
