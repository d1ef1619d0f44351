/**
 * When a libc socket's read makes its recv (`libc_socket.ts`): only when
 * the receive queue may hold bytes. Two kinds of test. Scripted reports: a
 * real loopback connection whose readiness reports the test gives itself
 * (a stand-in for the reactor that records the socket's owner), so each
 * case says exactly which reports came before which read, and counts the
 * recv calls. Real reports: the isolate's epoll set, peers that send in
 * pieces, close, half-close or pipeline, where nothing may hang. A read
 * that waits is told apart from one that completed at once by racing it
 * with an already resolved promise, never by time.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { LibcConn } from "../../src/dataplane/libc_socket.ts";
import { libcPair as connected, libcSettled as settled } from "../_helpers/libc_pair.ts";
import {
  type LibcReactor,
  libcReactor,
  type ReadinessOwner,
} from "../../src/dataplane/libc_reactor.ts";
import {
  AF_INET,
  EAGAIN,
  EPOLLERR,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  type LibcNet,
  libcNet,
  SHUT_WR,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from "../../src/dataplane/libc_net.ts";

const reactor = libcReactor();
const skip = "problem" in reactor;
const POLLRDHUP = 0x2000;
const SO_LINGER = 13;

/** recv calls made through `net` from now on, and how many failed with EAGAIN. */
function countRecv(net: LibcNet): { calls: number; eagain: number; restore: () => void } {
  const c = net.c as { recv: LibcNet["c"]["recv"] };
  const original = c.recv;
  const counts = {
    calls: 0,
    eagain: 0,
    restore: () => {
      c.recv = original;
    },
  };
  c.recv = (fd, buf, len, flags) => {
    counts.calls++;
    const n = original(fd, buf, len, flags);
    if (n < 0 && net.errno() === EAGAIN) counts.eagain++;
    return n;
  };
  return counts;
}

/** What `read` came to if it completed at once; `"waits"` if it waits for a report. */
async function atOnce<T>(read: Promise<T>): Promise<T | "waits"> {
  return await Promise.race([read, Promise.resolve("waits" as const)]);
}

/**
 * A connected loopback pair of libc's own: `fd` nonblocking (for the
 * socket under test), `peer` blocking (the test writes it), both closed by
 * `close`.
 */
function rawPair(net: LibcNet): { fd: number; peer: number; closePeer: () => void } {
  const { c } = net;
  const listener = c.socket(AF_INET, SOCK_STREAM, 0);
  const addr = new Uint8Array(16);
  new DataView(addr.buffer).setUint16(0, AF_INET, true);
  addr.set([127, 0, 0, 1], 4);
  assertEquals(c.bind(listener, addr, 16), 0);
  assertEquals(c.listen(listener, 1), 0);
  const bound = new Uint8Array(16);
  c.getsockname(listener, bound, new Uint32Array([16]));
  const peer = c.socket(AF_INET, SOCK_STREAM, 0);
  // Blocking, and complete at once: the listener's queue takes it before any accept.
  assertEquals(c.connect(peer, bound, 16), 0);
  const fd = c.accept4(listener, null, null, SOCK_NONBLOCK);
  assert(fd >= 0, "accept4 failed");
  c.close(listener);
  let peerOpen = true;
  return {
    fd,
    peer,
    closePeer: () => {
      if (peerOpen) c.close(peer);
      peerOpen = false;
    },
  };
}

/** Stands in for the reactor: records the socket's owner, and the test gives it its reports. */
class ScriptedReports {
  owner: ReadinessOwner | undefined;
  constructor(readonly net: LibcNet) {}
  register(_fd: number, owner: ReadinessOwner): void {
    this.owner = owner;
  }
  close(fd: number): void {
    this.net.c.close(fd);
  }
  report(events: number): void {
    this.owner!.ready(events);
  }
}

/**
 * A socket under scripted reports on a fresh pair, its peer, and what
 * sends bytes from the peer and waits (poll, no timeout) until the socket
 * can read them, so a report given after it is true.
 */
function scripted(mayRead: boolean) {
  const net = libcNet();
  if ("problem" in net) throw new Error(net.problem);
  const { c } = net;
  const pair = rawPair(net);
  const reports = new ScriptedReports(net);
  const conn = new LibcConn(reports as unknown as LibcReactor, pair.fd, undefined, mayRead);
  const arrived = (events: number) => {
    const pollfd = new Int32Array([pair.fd, events]);
    assertEquals(c.poll(pollfd, 1, -1), 1);
  };
  return {
    net,
    conn,
    reports,
    send: (text: string) => {
      const bytes = new TextEncoder().encode(text);
      assertEquals(c.send(pair.peer, bytes, bytes.length, 0), bytes.length);
      arrived(EPOLLIN);
    },
    /** The peer's end of sending (a FIN), arrived. */
    finish: () => {
      assertEquals(c.shutdown(pair.peer, SHUT_WR), 0);
      arrived(POLLRDHUP);
    },
    /** The peer closes with a reset, arrived. */
    reset: () => {
      c.setsockopt(pair.peer, SOL_SOCKET, SO_LINGER, new Int32Array([1, 0]), 8);
      pair.closePeer();
      arrived(EPOLLERR);
    },
    close: () => {
      conn[Symbol.dispose]();
      pair.closePeer();
    },
  };
}

const text = (buf: Uint8Array, n: number | null) =>
  new TextDecoder().decode(buf.subarray(0, n ?? 0));

Deno.test({
  name:
    "libc reads: a socket that connects makes no recv before its first report, then one per report",
  ignore: skip,
  fn: async () => {
    const s = scripted(false);
    const counted = countRecv(s.net);
    try {
      const buf = new Uint8Array(16);
      const read = s.conn.read(buf);
      assertEquals(await atOnce(read), "waits");
      assertEquals(counted.calls, 0);
      s.send("abc");
      s.reports.report(EPOLLIN | EPOLLOUT);
      assertEquals(await read, 3);
      assertEquals(text(buf, 3), "abc");
      assertEquals([counted.calls, counted.eagain], [1, 0]);
    } finally {
      counted.restore();
      s.close();
    }
  },
});

Deno.test({
  name:
    "libc reads: after a short read the next read waits without a recv; a report with no read waiting lets it make its call",
  ignore: skip,
  fn: async () => {
    const s = scripted(true);
    const counted = countRecv(s.net);
    try {
      const buf = new Uint8Array(16);
      s.send("one");
      assertEquals(
        await atOnce(s.conn.read(buf)),
        3,
        "an accepted socket's first read makes its call",
      );
      const next = s.conn.read(buf);
      assertEquals(await atOnce(next), "waits");
      assertEquals([counted.calls, counted.eagain], [1, 0]);
      s.send("two");
      s.reports.report(EPOLLIN);
      assertEquals(await next, 3);
      assertEquals(text(buf, 3), "two");
      // The report comes while no read waits: the next read takes the bytes at once.
      s.send("three");
      s.reports.report(EPOLLIN);
      assertEquals(await atOnce(s.conn.read(buf)), 5);
      assertEquals(text(buf, 5), "three");
      assertEquals([counted.calls, counted.eagain], [3, 0]);
    } finally {
      counted.restore();
      s.close();
    }
  },
});

Deno.test({
  name:
    "libc reads: a read that fills its buffer leaves the next one reading at once (a request pipelined behind another)",
  ignore: skip,
  fn: async () => {
    const s = scripted(false);
    try {
      s.send("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
      s.reports.report(EPOLLIN);
      const first = new Uint8Array(19);
      assertEquals(await atOnce(s.conn.read(first)), 19);
      assertEquals(text(first, 19), "GET /a HTTP/1.1\r\n\r\n");
      const second = new Uint8Array(64);
      assertEquals(await atOnce(s.conn.read(second)), 19);
      assertEquals(text(second, 19), "GET /b HTTP/1.1\r\n\r\n");
      assertEquals(await atOnce(s.conn.read(second)), "waits");
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name:
    "libc reads: once a report says the peer's end is pending, a short read leaves the end to be read at once",
  ignore: skip,
  fn: async () => {
    const s = scripted(false);
    try {
      s.send("last");
      s.finish();
      // One report for both, before any read: the bytes and the end are in the queue.
      s.reports.report(EPOLLIN | EPOLLRDHUP);
      const buf = new Uint8Array(16);
      assertEquals(await atOnce(s.conn.read(buf)), 4);
      assertEquals(await atOnce(s.conn.read(buf)), null);
      assertEquals(await atOnce(s.conn.read(buf)), null);
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name:
    "libc reads: an end that comes after a short read is its own report, and the waiting read gets null",
  ignore: skip,
  fn: async () => {
    const s = scripted(false);
    try {
      s.send("last");
      s.reports.report(EPOLLIN);
      const buf = new Uint8Array(16);
      assertEquals(await atOnce(s.conn.read(buf)), 4);
      const end = s.conn.read(buf);
      assertEquals(await atOnce(end), "waits");
      s.finish();
      s.reports.report(EPOLLIN | EPOLLRDHUP);
      assertEquals(await end, null);
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name:
    "libc reads: a report whose bytes were taken already costs one EAGAIN, and the next read waits",
  ignore: skip,
  fn: async () => {
    const s = scripted(false);
    const counted = countRecv(s.net);
    try {
      s.reports.report(EPOLLIN);
      const buf = new Uint8Array(16);
      const read = s.conn.read(buf);
      assertEquals(await atOnce(read), "waits");
      assertEquals([counted.calls, counted.eagain], [1, 1]);
      s.send("late");
      s.reports.report(EPOLLIN);
      assertEquals(await read, 4);
      assertEquals([counted.calls, counted.eagain], [2, 1]);
    } finally {
      counted.restore();
      s.close();
    }
  },
});

Deno.test({
  name: "libc reads: a reset after a short read is reported and read as ConnectionReset",
  ignore: skip,
  fn: async () => {
    const s = scripted(false);
    try {
      s.send("some");
      s.reports.report(EPOLLIN);
      const buf = new Uint8Array(16);
      assertEquals(await atOnce(s.conn.read(buf)), 4);
      const pending = s.conn.read(buf);
      s.reset();
      s.reports.report(EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
      await assertRejects(() => pending, Deno.errors.ConnectionReset);
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name: "libc reads: a read into nothing is 0 at once without a recv, as on Deno's sockets",
  ignore: skip,
  fn: async () => {
    const s = scripted(false);
    const counted = countRecv(s.net);
    try {
      assertEquals(await atOnce(s.conn.read(new Uint8Array(0))), 0);
      s.send("x");
      s.reports.report(EPOLLIN);
      assertEquals(await atOnce(s.conn.read(new Uint8Array(0))), 0);
      assertEquals(counted.calls, 0);
      assertEquals(await atOnce(s.conn.read(new Uint8Array(4))), 1);
    } finally {
      counted.restore();
      s.close();
    }
  },
});

// Real reports: the isolate's epoll set.

Deno.test({
  name:
    "libc reads: a peer that sends in pieces, each after the read began: one recv a piece, none finding nothing",
  ignore: skip,
  fn: async () => {
    const net = libcNet();
    if ("problem" in net) return;
    const { conn, peer, close } = await connected();
    const counted = countRecv(net);
    try {
      const buf = new Uint8Array(64);
      for (const piece of ["GET / HT", "TP/1.1\r\n", "host: a\r\n", "\r\n"]) {
        const read = conn.read(buf);
        await peer.write(new TextEncoder().encode(piece));
        const n = await read;
        assertEquals(text(buf, n), piece);
      }
      assertEquals([counted.calls, counted.eagain], [4, 0]);
    } finally {
      counted.restore();
      close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc reads: a peer that sends and closes at once: its bytes, then null",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await connected();
    try {
      await peer.write(new TextEncoder().encode("bye"));
      peer.close();
      const buf = new Uint8Array(16);
      assertEquals(await conn.read(buf), 3);
      assertEquals(text(buf, 3), "bye");
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
    "libc reads: a peer that half-closes is read to its end, and still reads what is sent after",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await connected();
    try {
      const read = conn.read(new Uint8Array(16));
      await peer.write(new TextEncoder().encode("request"));
      await peer.closeWrite();
      assertEquals(await read, 7);
      assertEquals(await conn.read(new Uint8Array(16)), null);
      await conn.write(new TextEncoder().encode("answer"));
      await conn.closeWrite();
      const got = new Uint8Array(16);
      assertEquals(await peer.read(got), 6);
      assertEquals(text(got, 6), "answer");
      assertEquals(await peer.read(got), null);
    } finally {
      close();
      await settled();
    }
  },
});

Deno.test({
  name: "libc reads: a large answer read in many short reads arrives whole, the end after it",
  ignore: skip,
  fn: async () => {
    const { conn, peer, close } = await connected();
    try {
      const big = new Uint8Array(4 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 10)) & 0xff;
      const sending = (async () => {
        // In slices: the reader drains the queue between them and must wait for each.
        for (let at = 0; at < big.length; at += 100_000) {
          const slice = big.subarray(at, Math.min(big.length, at + 100_000));
          for (let off = 0; off < slice.length;) off += await peer.write(slice.subarray(off));
        }
        peer.close();
      })();
      const got = new Uint8Array(big.length);
      let at = 0;
      let reads = 0;
      const buf = new Uint8Array(256 * 1024);
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        got.set(buf.subarray(0, n), at);
        at += n;
        reads++;
      }
      await sending;
      assertEquals(at, big.length);
      assertEquals(got, big);
      assert(reads > 1, "one read took it all");
    } finally {
      close();
      await settled();
    }
  },
});
