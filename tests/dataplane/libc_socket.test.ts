/**
 * Connections on libc's sockets (`libc_socket.ts`) through real loopback
 * sockets, against Deno's own sockets on the other side: the same results
 * and the same `Deno.errors` classes as Deno's connections give. Every wait
 * is for an event (bytes, a close, a rejection), never for time.
 */
import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { libcConnect } from "../../src/dataplane/libc_connect.ts";
import { libcPair as pair, libcSettled as settled } from "../_helpers/libc_pair.ts";
import { libcReactor } from "../../src/dataplane/libc_reactor.ts";
import { AF_INET, libcNet, SOCK_STREAM, SOL_SOCKET } from "../../src/dataplane/libc_net.ts";

const SO_LINGER = 13;

const reactor = libcReactor();
const skip = "problem" in reactor;

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(64 * 1024);
    const n = await conn.read(buf);
    if (n === null) break;
    parts.push(buf.subarray(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

Deno.test({
  name: "libc: bytes both ways, the addresses as Deno spells them, and EOF as null",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      assertEquals(conn.remoteAddr, { ...peer.localAddr });
      assertEquals(conn.localAddr, { ...peer.remoteAddr });
      assertEquals(await conn.write(new TextEncoder().encode("ping")), 4);
      const buf = new Uint8Array(16);
      assertEquals(await peer.read(buf), 4);
      await peer.write(new TextEncoder().encode("pong"));
      assertEquals(await conn.read(buf), 4);
      assertEquals(new TextDecoder().decode(buf.subarray(0, 4)), "pong");
      peer.close();
      assertEquals(await conn.read(buf), null);
      assertEquals(await conn.read(buf), null);
    } finally {
      close();
      await settled();
    }
  },
});

Deno.test({
  name:
    "libc: a write larger than the socket buffers to a slow reader is taken in parts, whole and in order",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      const big = new Uint8Array(16 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
      const counts: number[] = [];
      const writing = (async () => {
        for (let off = 0; off < big.length;) {
          const n = await conn.write(big.subarray(off));
          counts.push(n);
          off += n;
        }
        await conn.closeWrite();
      })();
      // The reader takes 1 KiB a read: the writer waits on the socket many times.
      const got = new Uint8Array(big.length);
      let at = 0;
      const small = new Uint8Array(1024);
      for (;;) {
        const n = await peer.read(small);
        if (n === null) break;
        got.set(small.subarray(0, n), at);
        at += n;
      }
      await writing;
      assertEquals(at, big.length);
      assert(counts.some((n) => n < big.length), "every write took everything");
      assertEquals(got, big);
    } finally {
      close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc: a write made while another waits for room goes out after it, and both resolve",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      const chunk = new Uint8Array(64 * 1024).fill(1);
      let sent = 0;
      let waiting: Promise<number> | undefined;
      // Writes until one waits: the peer reads nothing yet, so nothing else ends that wait.
      while (waiting === undefined) {
        const write = conn.write(chunk);
        const first = await Promise.race([
          write,
          new Promise<"waits">((resolve) => setTimeout(() => resolve("waits"), 0)),
        ]);
        if (first === "waits") waiting = write;
        else sent += first;
      }
      const marker = conn.write(new Uint8Array([2, 3]));
      let got = 0;
      let last = new Uint8Array(0);
      const buf = new Uint8Array(256 * 1024);
      const counted = (async () => {
        const taken = await waiting;
        await marker;
        return taken;
      })();
      while (true) {
        const n = await peer.read(buf);
        if (n === null) break;
        got += n;
        last = buf.slice(Math.max(0, n - 2), n);
        if (last[0] === 2 && last[1] === 3) break;
      }
      const taken = await counted;
      assertEquals(got, sent + taken + 2);
      assertEquals([...last], [2, 3]);
    } finally {
      close();
      await settled();
    }
  },
});

Deno.test({
  name:
    "libc: writeNow gives the count itself when the socket takes bytes at once, else a promise, in order",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      assertEquals(conn.writeNow(new TextEncoder().encode("ping")), 4);
      const buf = new Uint8Array(256 * 1024);
      assertEquals(await peer.read(buf), 4);
      // The peer reads nothing: writes are taken at once until the socket buffers are full.
      const chunk = new Uint8Array(64 * 1024).fill(1);
      let sent = 0;
      let waiting: number | Promise<number> = 0;
      while (typeof waiting === "number") {
        sent += waiting;
        waiting = conn.writeNow(chunk);
      }
      // One made while that one waits goes out after it, as a write's does.
      const marker = conn.writeNow(new Uint8Array([2, 3]));
      assertInstanceOf(marker, Promise);
      let got = 0;
      let last = new Uint8Array(0);
      while (true) {
        const n = await peer.read(buf);
        if (n === null) break;
        got += n;
        last = buf.slice(Math.max(0, n - 2), n);
        if (last[0] === 2 && last[1] === 3) break;
      }
      assertEquals(await marker, 2);
      assertEquals(got, sent + await waiting + 2);
      conn.close();
      await assertRejects(() => Promise.resolve(conn.writeNow(chunk)), Deno.errors.BadResource);
    } finally {
      close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc: half-close: closeWrite ends the peer's reads, and the peer's answer still arrives",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      await conn.write(new TextEncoder().encode("question"));
      await conn.closeWrite();
      assertEquals(new TextDecoder().decode(await readAll(peer)), "question");
      await peer.write(new TextEncoder().encode("answer"));
      peer.close();
      assertEquals(new TextDecoder().decode(await readAll(conn)), "answer");
    } finally {
      close();
      await settled();
    }
  },
});

/** A listening socket of libc's own (blocking), for a peer the test controls to the byte. */
function rawListener(backlog: number): { fd: number; port: number; close: () => void } {
  const net = libcNet();
  if ("problem" in net) throw new Error(net.problem);
  const { c } = net;
  const fd = c.socket(AF_INET, SOCK_STREAM, 0);
  const addr = new Uint8Array(16);
  new DataView(addr.buffer).setUint16(0, AF_INET, true);
  addr.set([127, 0, 0, 1], 4);
  assertEquals(c.bind(fd, addr, 16), 0);
  assertEquals(c.listen(fd, backlog), 0);
  const bound = new Uint8Array(16);
  c.getsockname(fd, bound, new Uint32Array([16]));
  return { fd, port: new DataView(bound.buffer).getUint16(2, false), close: () => c.close(fd) };
}

Deno.test({
  name:
    "libc: a peer's reset is ConnectionReset on the pending read, as on Deno's, then BrokenPipe on write",
  ignore: skip,
  fn: async () => {
    const net = libcNet();
    if ("problem" in net) throw new Error(net.problem);
    const { c } = net;
    const raw = rawListener(8);
    try {
      for (const kind of ["libc", "deno"]) {
        const conn = kind === "libc"
          ? await libcConnect({ hostname: "127.0.0.1", port: raw.port })!
          : await Deno.connect({ hostname: "127.0.0.1", port: raw.port });
        const peer = c.accept4(raw.fd, null, null, 0);
        // SO_LINGER with a zero time: the close is a reset.
        assertEquals(c.setsockopt(peer, SOL_SOCKET, SO_LINGER, new Int32Array([1, 0]), 8), 0);
        const pending = conn.read(new Uint8Array(10));
        c.close(peer);
        await assertRejects(() => pending, Deno.errors.ConnectionReset, undefined, kind);
        await assertRejects(() => conn.write(new Uint8Array(10)), Deno.errors.BrokenPipe);
        conn.close();
      }
    } finally {
      raw.close();
      await settled();
    }
  },
});

Deno.test({
  name:
    "libc: a read pending when the connection is closed (a timeout's close) is Interrupted; later calls BadResource",
  ignore: skip,
  fn: async () => {
    const { conn, close } = await pair();
    try {
      const pending = conn.read(new Uint8Array(10));
      conn.close();
      await assertRejects(() => pending, Deno.errors.Interrupted);
      await assertRejects(() => conn.read(new Uint8Array(10)), Deno.errors.BadResource);
      await assertRejects(() => conn.write(new Uint8Array(10)), Deno.errors.BadResource);
      await assertRejects(() => conn.closeWrite(), Deno.errors.BadResource);
      let thrown: unknown;
      try {
        conn.close();
      } catch (error) {
        thrown = error;
      }
      assertInstanceOf(thrown, Deno.errors.BadResource);
    } finally {
      close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc: a connection that takes a closed connection's fd number gets none of its wake-ups",
  ignore: skip,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    const first = await libcConnect({ hostname: "127.0.0.1", port })!;
    const firstPeer = await listener.accept();
    const pending = first.read(new Uint8Array(10));
    first.close();
    const interrupted = assertRejects(() => pending, Deno.errors.Interrupted);
    const second = await libcConnect({ hostname: "127.0.0.1", port })!;
    const secondPeer = await listener.accept();
    try {
      await interrupted;
      const buf = new Uint8Array(10);
      const read = second.read(buf);
      await secondPeer.write(new TextEncoder().encode("new"));
      assertEquals(await read, 3);
      assertEquals(new TextDecoder().decode(buf.subarray(0, 3)), "new");
    } finally {
      for (const c of [second, firstPeer, secondPeer, listener]) c.close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc: connect errors are Deno's: ConnectionRefused on a closed port",
  ignore: skip,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    await assertRejects(
      () => libcConnect({ hostname: "127.0.0.1", port })!,
      Deno.errors.ConnectionRefused,
    );
    await settled();
  },
});

Deno.test({
  name: "libc: a connect the signal aborts rejects with the signal's reason and leaves no socket",
  ignore: skip,
  fn: async () => {
    // A listener with a backlog of 0 that never accepts: once its queue holds one
    // connection, the kernel drops the next SYNs, and that connect stays under way.
    const raw = rawListener(0);
    const port = raw.port;
    const queued: Deno.Conn[] = [];
    try {
      queued.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      const abort = new AbortController();
      const connecting = libcConnect({ hostname: "127.0.0.1", port, signal: abort.signal })!;
      abort.abort(new Error("the deadline passed"));
      await assertRejects(() => connecting, Error, "the deadline passed");
      assertEquals("problem" in reactor ? 0 : reactor.registered, 0);
      const aborted = new AbortController();
      aborted.abort();
      await assertRejects(() =>
        libcConnect({ hostname: "127.0.0.1", port, signal: aborted.signal })!
      );
    } finally {
      for (const q of queued) q.close();
      raw.close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc: readable and writable streams are made from read and write",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await pair();
    try {
      const writer = conn.writable.getWriter();
      await writer.write(new TextEncoder().encode("through a stream"));
      writer.releaseLock();
      await conn.closeWrite();
      assertEquals(new TextDecoder().decode(await readAll(peer)), "through a stream");
      await peer.write(new TextEncoder().encode("back"));
      peer.close();
      const text = await new Response(conn.readable).text();
      assertEquals(text, "back");
    } finally {
      close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc: a hostname that is not an IP literal is left to Deno.connect",
  ignore: skip,
  fn: () => {
    assertEquals(libcConnect({ hostname: "localhost", port: 80 }), undefined);
  },
});
