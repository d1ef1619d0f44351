/**
 * The socket read of our HTTP/1.1 server (`socket_read.ts`): a runtime
 * socket is read through the runtime's own read, the end of the stream and
 * a close come through as with `Conn.read`, and anything else shaped like a
 * connection (a wrapper with bytes read before, an object with its own
 * `read`) is read through its own `read`; the same for the socket write.
 */
import { assert, assertEquals } from "@std/assert";
import {
  assertSocketReadInternals,
  readsDirectly,
  socketReader,
  socketWriter,
  writesDirectly,
} from "../../src/dataplane/socket_read.ts";
import { prefixedConn } from "../../src/dataplane/prefixed_conn.ts";
import { tcpPair } from "../_helpers/tcp_pair.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("socket read: this Deno has the runtime read the server relies on", () => {
  assertSocketReadInternals();
});

Deno.test("socket read: a runtime socket is read directly, bytes then the end of the stream", async () => {
  const { client, server, close } = await tcpPair();
  try {
    assert(readsDirectly(server));
    const read = socketReader(server);
    await client.write(encoder.encode("hello"));
    const buf = new Uint8Array(16);
    const n = await read(buf);
    assertEquals(decoder.decode(buf.subarray(0, n ?? 0)), "hello");
    client.close();
    const end = await read(buf);
    assert(end === 0 || end === null);
  } finally {
    close();
  }
});

Deno.test("socket read: closing the socket ends a pending direct read", async () => {
  const { server, close } = await tcpPair();
  try {
    const pending = socketReader(server)(new Uint8Array(16));
    server.close();
    const outcome = await pending.then((n) => n, (error) => error);
    assert(outcome === 0 || outcome === null || outcome instanceof Error);
  } finally {
    close();
  }
});

Deno.test("socket read: a wrapper that hands over bytes read before, or an own read, is read through its own read", async () => {
  const { client, server, close } = await tcpPair();
  try {
    const wrapped = prefixedConn(server, encoder.encode("early "));
    assert(!readsDirectly(wrapped));
    await client.write(encoder.encode("late"));
    const read = socketReader(wrapped);
    const buf = new Uint8Array(16);
    assertEquals(decoder.decode(buf.subarray(0, (await read(buf)) ?? 0)), "early ");
    const scripted = Object.assign(Object.create(server), { read: () => Promise.resolve(3) });
    assert(!readsDirectly(scripted));
    assertEquals(await socketReader(scripted)(buf), 3);
  } finally {
    close();
  }
});

Deno.test("socket write: a runtime socket is written directly, and the peer reads the bytes", async () => {
  const { client, server, close } = await tcpPair();
  try {
    assert(writesDirectly(server));
    const write = socketWriter(server);
    const n = await write(encoder.encode("hello"));
    assertEquals(n, 5);
    const buf = new Uint8Array(16);
    const got = await client.read(buf);
    assertEquals(decoder.decode(buf.subarray(0, got ?? 0)), "hello");
  } finally {
    close();
  }
});

Deno.test("socket write: a closed socket's direct write fails as conn.write does", async () => {
  const { server, close } = await tcpPair();
  try {
    const write = socketWriter(server);
    server.close();
    const direct = await write(encoder.encode("x")).then(() => undefined, (e) => e);
    const wrapped = await server.write(encoder.encode("x")).then(() => undefined, (e) => e);
    assert(wrapped instanceof Deno.errors.BadResource, `got ${wrapped}`);
    assert(direct instanceof Deno.errors.BadResource, `got ${direct}`);
  } finally {
    close();
  }
});

Deno.test("socket write: a connection with a write of its own is written through it", async () => {
  const { server, close } = await tcpPair();
  try {
    const seen: number[] = [];
    const scripted = Object.assign(Object.create(server), {
      write: (bytes: Uint8Array) => {
        seen.push(bytes.length);
        return Promise.resolve(bytes.length);
      },
    });
    assert(!writesDirectly(scripted));
    assertEquals(await socketWriter(scripted)(encoder.encode("abc")), 3);
    assertEquals(seen, [3]);
  } finally {
    close();
  }
});
