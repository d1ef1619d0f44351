/**
 * Splicing two connections: bytes both ways in order, bytes read before the
 * splice first, half-closes passed on, the idle timeout on an injected
 * clock, and backpressure (a reader that stops holds the writer back instead
 * of the splice buffering without bound).
 */
import { assert, assertEquals } from "@std/assert";
import { type Splice, splice, type SpliceOptions } from "../../src/dataplane/byte_splice.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { tcpPair } from "../_helpers/tcp_pair.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function readText(conn: Deno.Conn, length: number): Promise<string> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return decoder.decode(buf.subarray(0, got));
}

async function readToEnd(conn: Deno.Conn): Promise<string> {
  const chunks: string[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return chunks.join("");
    chunks.push(decoder.decode(buf.subarray(0, n)));
  }
}

/** client ⇄ [a | splice | b] ⇄ server */
async function spliced(options: SpliceOptions = {}, aFirst = "", bFirst = "") {
  const { client, server: a } = await tcpPair();
  const { client: b, server } = await tcpPair();
  const s = splice(a, b, {
    ...options,
    aFirst: aFirst === "" ? null : encoder.encode(aFirst),
    bFirst: bFirst === "" ? null : encoder.encode(bFirst),
  });
  return { client, server, s };
}

/** Why `s` ended. */
const endOf = async (s: Splice) => (await s.done).end;

Deno.test("bytes pass both ways, the ones read before the splice first", async () => {
  const { client, server, s } = await spliced({}, "early-up ", "early-down ");
  await client.write(encoder.encode("ping"));
  assertEquals(await readText(server, 13), "early-up ping");
  await server.write(encoder.encode("pong"));
  assertEquals(await readText(client, 15), "early-down pong");
  assertEquals(s.bytes(), { aToB: 13, bToA: 15 });
  client.close();
  server.close();
  assertEquals(await endOf(s), "closed");
});

Deno.test("a half-close is passed on and the other direction keeps flowing", async () => {
  const { client, server, s } = await spliced();
  await client.write(encoder.encode("last words"));
  await client.closeWrite();
  assertEquals(await readToEnd(server), "last words");
  await server.write(encoder.encode("still here"));
  assertEquals(await readText(client, 10), "still here");
  server.close();
  assertEquals(await endOf(s), "closed");
  client.close();
});

Deno.test("without half-close, the first end of stream closes both sides", async () => {
  const { client, server, s } = await spliced({ halfClose: false });
  server.close();
  assertEquals(await endOf(s), "closed");
  assertEquals(await readToEnd(client), "");
  client.close();
});

Deno.test("close() drops both sides at once", async () => {
  const { client, server, s } = await spliced();
  s.close();
  assertEquals(await endOf(s), "stopped");
  assertEquals(await readToEnd(client), "");
  assertEquals(await readToEnd(server), "");
  client.close();
  server.close();
});

Deno.test("the idle timeout closes a quiet splice; traffic pushes it back", async () => {
  const clock = new FakeClock();
  const { client, server, s } = await spliced({ idleMs: 1_000, clock });
  await clock.advance(900);
  await client.write(encoder.encode("x"));
  assertEquals(await readText(server, 1), "x");
  await waitFor("the byte counted", () => s.bytes().aToB === 1);
  await clock.advance(900);
  let ended: string | undefined;
  s.done.then((result) => ended = result.end);
  await Promise.resolve();
  assertEquals(ended, undefined);
  await clock.advance(1_000);
  assertEquals(await endOf(s), "idle");
  client.close();
  server.close();
});

/** A stand-in connection whose reads and writes the test completes by hand. */
class HandConn {
  reads = 0;
  readonly pendingReads: ((n: number | null) => void)[] = [];
  readonly pendingWrites: ((n: number) => void)[] = [];
  closed = false;
  read(buf: Uint8Array): Promise<number | null> {
    this.reads++;
    return new Promise((resolve) =>
      this.pendingReads.push((n) => {
        if (n !== null) buf.fill(120, 0, n);
        resolve(n);
      })
    );
  }
  write(data: Uint8Array): Promise<number> {
    return new Promise((resolve) => this.pendingWrites.push(() => resolve(data.length)));
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
    for (const r of this.pendingReads.splice(0)) r(null);
  }
}

Deno.test("backpressure: no read from one side until the last chunk was written to the other", async () => {
  const a = new HandConn();
  const b = new HandConn();
  const s = splice(a as unknown as Deno.Conn, b as unknown as Deno.Conn);
  await waitFor("the first read from a", () => a.pendingReads.length === 1);
  a.pendingReads.shift()!(100);
  await waitFor("the write to b", () => b.pendingWrites.length === 1);
  // b is slow: while its write is pending, a is not read again.
  await Promise.resolve();
  assertEquals(a.reads, 1);
  b.pendingWrites.shift()!(100);
  await waitFor("the next read from a", () => a.reads === 2);
  assertEquals(s.bytes().aToB, 100);
  s.close();
  assertEquals(await endOf(s), "stopped");
  assert(a.closed && b.closed);
});

Deno.test("a bulk transfer passes intact while the read buffer grows, then small messages still flow", async () => {
  const { client, server, s } = await spliced();
  const bulk = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
  const sending = (async () => {
    let offset = 0;
    while (offset < bulk.length) offset += await client.write(bulk.subarray(offset));
  })();
  const got = new Uint8Array(bulk.length);
  let received = 0;
  while (received < bulk.length) {
    const n = await server.read(got.subarray(received));
    assert(n !== null);
    received += n;
  }
  await sending;
  assertEquals(got, bulk);
  await client.write(encoder.encode("small"));
  assertEquals(await readText(server, 5), "small");
  s.close();
  assertEquals(await endOf(s), "stopped");
  client.close();
  server.close();
});
