/**
 * The listener on libc's sockets (`libc_listener.ts`) through real loopback
 * sockets: IPv4 and IPv6, the bind errors and port sharing Deno's listener
 * has, a close that ends a pending accept, running out of descriptors as
 * the connection server expects it, and the connection server's drain and
 * shutdown with our own HTTP/1.1 server on it. Every wait is for an event.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { libcListen, LibcListener } from "../../src/dataplane/libc_listener.ts";
import { libcReactor } from "../../src/dataplane/libc_reactor.ts";
import { listenForOwnServer } from "../../src/dataplane/libc_sockets.ts";
import { serveConnections } from "../../src/dataplane/connection_server.ts";
import { ownH1Engine } from "../../src/dataplane/own_h1_engine.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { readUntil, readUntilClose } from "./h1/_h1_harness.ts";

const reactor = libcReactor();
const skip = "problem" in reactor;

async function settled(): Promise<void> {
  if (!("problem" in reactor)) await reactor.idle();
}

function listen(hostname: string, port = 0, reusePort = false): LibcListener {
  const listener = libcListen({ hostname, port, reusePort });
  if ("problem" in listener) throw new Error(listener.problem);
  return listener;
}

Deno.test({
  name: "libc listener: IPv4 and IPv6 clients are accepted with their addresses",
  ignore: skip,
  fn: async () => {
    for (const hostname of ["127.0.0.1", "::1"]) {
      const listener = listen(hostname);
      assertEquals(listener.addr.hostname, hostname);
      const client = await Deno.connect({ hostname, port: listener.addr.port });
      const conn = await listener.accept();
      try {
        assertEquals(conn.remoteAddr, { ...client.localAddr });
        assertEquals(conn.localAddr, { ...client.remoteAddr });
        await client.write(new TextEncoder().encode("hi"));
        assertEquals(await conn.read(new Uint8Array(8)), 2);
      } finally {
        conn.close();
        client.close();
        listener.close();
      }
    }
    await settled();
  },
});

Deno.test({
  name:
    "libc listener: an accepted connection has TCP_NODELAY set once; asking again for the same makes no call",
  ignore: skip,
  fn: async () => {
    if ("problem" in reactor) return;
    const listener = listen("127.0.0.1");
    const c = reactor.net.c as { setsockopt: typeof reactor.net.c.setsockopt };
    const original = c.setsockopt;
    const calls: string[] = [];
    c.setsockopt = (fd, level, option, value, length) => {
      calls.push(`${level}/${option}=${(value as Int32Array)[0]}`);
      return original(fd, level, option, value, length);
    };
    const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const conn = await listener.accept();
    try {
      // IPPROTO_TCP (6), TCP_NODELAY (1).
      assertEquals(calls, ["6/1=1"]);
      conn.setNoDelay(true);
      assertEquals(calls, ["6/1=1"]);
      conn.setNoDelay(false);
      conn.setNoDelay(true);
      assertEquals(calls, ["6/1=1", "6/1=0", "6/1=1"]);
      conn.close();
      assertThrows(() => conn.setNoDelay(true), Deno.errors.BadResource);
    } finally {
      c.setsockopt = original;
      conn[Symbol.dispose]();
      client.close();
      listener.close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc listener: a port in use is AddrInUse; with SO_REUSEPORT two listeners share it",
  ignore: skip,
  fn: async () => {
    const first = listen("127.0.0.1");
    const port = first.addr.port;
    try {
      assertThrows(() => listen("127.0.0.1", port), Deno.errors.AddrInUse);
    } finally {
      first.close();
    }
    const a = listen("127.0.0.1", 0, true);
    const b = listen("127.0.0.1", a.addr.port, true);
    assertEquals(b.addr.port, a.addr.port);
    a.close();
    b.close();
    await settled();
  },
});

Deno.test({
  name:
    "libc listener: a close ends a pending accept with BadResource, and so is every accept after",
  ignore: skip,
  fn: async () => {
    const listener = listen("127.0.0.1");
    const pending = listener.accept();
    listener.close();
    await assertRejects(() => pending, Deno.errors.BadResource);
    await assertRejects(() => listener.accept(), Deno.errors.BadResource);
    assertThrows(() => listener.close(), Deno.errors.BadResource);
    const iterated: Deno.Conn[] = [];
    for await (const conn of listener) iterated.push(conn);
    assertEquals(iterated, []);
    await settled();
  },
});

Deno.test({
  name:
    "libc listener: out of descriptors, accept fails as Deno's does (os error 24), then takes the connection",
  ignore: skip,
  fn: async () => {
    const child = new Deno.Command("prlimit", {
      args: [
        "--nofile=64",
        "--",
        Deno.execPath(),
        "run",
        "--allow-ffi",
        "--allow-read",
        new URL("./_libc_emfile.ts", import.meta.url).pathname,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    const nextLine = async (): Promise<Record<string, unknown>> => {
      while (!buffered.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`The child ended before a line: ${buffered}`);
        buffered += value;
      }
      const at = buffered.indexOf("\n");
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      return JSON.parse(line);
    };
    const { port } = await nextLine();
    const client = await Deno.connect({ hostname: "127.0.0.1", port: port as number });
    try {
      const failed = await nextLine();
      assertEquals(failed.outOfDescriptors, true, JSON.stringify(failed));
      assert(String(failed.message).includes("(os error 24)"), String(failed.message));
      assertEquals(await nextLine(), { accepted: client.localAddr.port });
    } finally {
      client.close();
      await lines.cancel();
      assertEquals((await child.status).code, 0);
    }
  },
});

/** A connection server on a libc listener with our HTTP/1.1 server and a handler that waits when asked. */
function ownServer() {
  const release = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  const listener = listenForOwnServer({ hostname: "127.0.0.1", port: 0, sockets: "libc" });
  assert(listener instanceof LibcListener);
  const server = serveConnections({
    listener,
    handler: async (req) => {
      if (new URL(req.url).pathname === "/slow") {
        entered.resolve();
        await release.promise;
      }
      return new Response("ok");
    },
    onError: () => new Response("failed", { status: 500 }),
    logger: silentLogger,
    engine: ownH1Engine("http"),
  });
  return { server, release, entered, port: server.addr.port };
}

Deno.test({
  name:
    "libc listener: at shutdown a request in flight is answered with Connection: close, and no new connection is taken",
  ignore: skip,
  fn: async () => {
    const { server, release, entered, port } = ownServer();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
      await entered.promise;
      const stopped = server.shutdown();
      await assertRejects(
        () => Deno.connect({ hostname: "127.0.0.1", port }),
        Deno.errors.ConnectionRefused,
      );
      release.resolve();
      const answer = await readUntilClose(conn);
      assert(answer.startsWith("HTTP/1.1 200"), answer);
      assert(/\r\nconnection: close\r\n/i.test(answer), answer);
      await stopped;
    } finally {
      conn.close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc listener: while draining, answers on a kept-alive connection say Connection: close",
  ignore: skip,
  fn: async () => {
    const { server, port } = ownServer();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const get = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      await conn.write(get);
      const before = await readUntil(conn, "ok");
      assert(!/connection: close/i.test(before), before);
      server.drain();
      await conn.write(get);
      const during = await readUntilClose(conn);
      assert(/\r\nconnection: close\r\n/i.test(during), during);
    } finally {
      conn.close();
      await server.shutdown();
      await settled();
    }
  },
});

Deno.test("--sockets deno listens with Deno.listen, and libc with libc's listener where it can", async () => {
  const deno = listenForOwnServer({ hostname: "127.0.0.1", port: 0, sockets: "deno" });
  assert(!(deno instanceof LibcListener));
  deno.close();
  if (skip) return;
  const libc = listenForOwnServer({ hostname: "127.0.0.1", port: 0, sockets: "auto" });
  assert(libc instanceof LibcListener);
  libc.close();
  assertThrows(
    () => listenForOwnServer({ hostname: "localhost", port: 0, sockets: "libc" }),
    Error,
    "Cannot listen with --sockets libc: the listen address localhost is not an IP literal",
  );
  const named = listenForOwnServer({ hostname: "localhost", port: 0, sockets: "auto" });
  assert(!(named instanceof LibcListener));
  named.close();
  await settled();
});
