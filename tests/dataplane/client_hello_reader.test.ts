/**
 * Reading a ClientHello off a connection piece by piece, and the findings of
 * the ClientHello fuzzer (`tests/fuzz/client_hello_target.ts`), one test
 * each: a client dripping one byte per read, a verdict that depended on how
 * the bytes were cut into reads, and repeated server names.
 */
import { assertEquals } from "@std/assert";
import { readClientHello } from "../../src/dataplane/client_hello_reader.ts";
import {
  ClientHelloScanner,
  MAX_FIRST_BYTES,
  scanClientHello,
} from "../../src/dataplane/tls_client_hello.ts";
import { alpn, helloBody, records, serverNameExtension, u16 } from "./_client_hello_bytes.ts";

/** A connection that delivers `input` at most `chunk` bytes a read, then EOF. */
function scripted(input: Uint8Array, chunk: number) {
  const conn = {
    delivered: 0,
    read(p: Uint8Array): Promise<number | null> {
      if (conn.delivered >= input.length) return Promise.resolve(null);
      const n = Math.min(p.length, chunk, input.length - conn.delivered);
      p.set(input.subarray(conn.delivered, conn.delivered + n));
      conn.delivered += n;
      return Promise.resolve(n);
    },
    close() {},
  };
  return conn;
}

async function readAll(input: Uint8Array, chunk: number) {
  const conn = scripted(input, chunk);
  const read = await readClientHello(conn as unknown as Deno.Conn, 0);
  return { read, delivered: conn.delivered };
}

Deno.test("a ClientHello read in pieces of any size gives the same name and every byte read", async () => {
  const hello = records(helloBody([...alpn, ...serverNameExtension([[0, "r.example.com"]])]), 7);
  const input = new Uint8Array([...hello, 23, 3, 3, 0, 1, 9]);
  for (const chunk of [1, 2, 5, 6, 100, 4096]) {
    const { read } = await readAll(input, chunk);
    assertEquals(read.ok && read.serverName, "r.example.com", `${chunk}-byte reads`);
    // Whatever came with the hello is kept: it is relayed too.
    assertEquals(read.ok && read.bytes.subarray(0, hello.length), hello);
  }
  const { read } = await readAll(hello.subarray(0, hello.length - 1), 3);
  assertEquals(read, { ok: false, invalid: false, reason: "closed before a ClientHello" });
});

/**
 * Fuzzer finding: the reader scanned everything read so far on every read,
 * so a client sending one byte at a time cost quadratic time (21.6 s of CPU
 * for the 39 KB below, measured). Now each byte is scanned once; the
 * verdict comes at the bound, having taken one read past it.
 */
Deno.test("one byte per read over one-byte records is refused at the bound", async () => {
  const input = new Uint8Array(6 * 6500);
  const first = [1, 0, 0x7f, 0xf0]; // a ClientHello of 32752 bytes, announced
  for (let i = 0; i < 6500; i++) input.set([22, 3, 1, 0, 1, first[i] ?? 0], i * 6);
  const { read, delivered } = await readAll(input, 1);
  assertEquals(read.ok, false);
  assertEquals(!read.ok && read.invalid, true);
  assertEquals(delivered, MAX_FIRST_BYTES + 1);
});

/**
 * Fuzzer finding: a hello whose records ended past the bound was parsed when
 * it arrived in one read and refused when read in pieces. Now the bound holds
 * however the bytes arrive.
 */
Deno.test("a ClientHello ending past the bound is refused whole and in pieces alike", async () => {
  const padding = [...u16(21), ...u16(7000), ...new Array(7000).fill(0)];
  const body = helloBody([...serverNameExtension([[0, "far.example.com"]]), ...padding]);
  const far = records(body, 1); // 6 bytes per handshake byte: past 36 KB
  assertEquals(far.length > MAX_FIRST_BYTES, true);
  assertEquals(scanClientHello(far).state, "invalid");
  for (const chunk of [1, 4096, far.length]) {
    const { read } = await readAll(far, chunk);
    assertEquals(!read.ok && read.invalid, true, `${chunk}-byte reads`);
  }
  // The same hello in fewer records is within the bound.
  assertEquals(scanClientHello(records(body, 200)).state, "parsed");
});

/**
 * Fuzzer finding: the first server_name extension and its first host_name
 * were taken and the rest ignored, while RFC 8446 §4.2 and RFC 6066 §3 allow
 * one of each; a TLS stack behind the gateway could read another name than
 * the one the route was picked by. Now such a hello is refused.
 */
Deno.test("two server_name extensions, or two host names in one, are refused", () => {
  const twice = [
    ...serverNameExtension([[0, "a.example.com"]]),
    ...serverNameExtension([[0, "b.example.com"]]),
  ];
  assertEquals(scanClientHello(records(helloBody(twice))).state, "invalid");
  const twoNames = serverNameExtension([[0, "a.example.com"], [0, "b.example.com"]]);
  assertEquals(scanClientHello(records(helloBody(twoNames))).state, "invalid");
  // Other name types beside the one host_name stay fine, before or after it.
  const mixed = serverNameExtension([[0, "a.example.com"], [7, "other"]]);
  const scan = scanClientHello(records(helloBody(mixed)));
  assertEquals(scan.state === "parsed" && scan.serverName, "a.example.com");
  // An extension that runs past the block after server_name is no longer overlooked.
  const broken = [...serverNameExtension([[0, "a.example.com"]]), ...u16(16), ...u16(40), 0];
  assertEquals(scanClientHello(records(helloBody(broken))).state, "invalid");
});

Deno.test("the scanner keeps its verdict and takes each push after the previous ones", () => {
  const hello = records(helloBody(serverNameExtension([[0, "s.example.com"]])), 3);
  const scanner = new ClientHelloScanner();
  for (let i = 0; i < hello.length - 1; i++) {
    assertEquals(scanner.push(hello.subarray(i, i + 1)).state, "incomplete", `byte ${i}`);
  }
  const done = scanner.push(hello.subarray(hello.length - 1));
  assertEquals(done, { state: "parsed", serverName: "s.example.com", length: hello.length });
  assertEquals(scanner.push(new Uint8Array([0xff])), done);
});

/**
 * Fuzzer finding: a server name with a final dot kept it, so on a TLS port
 * `tls.example.com.` missed the listener `tls.example.com` (and went to the
 * catch-all one), where the HTTPS port's certificate choice (`sni.ts`) took
 * it as the same host. Now the scanner drops the dot.
 */
Deno.test("a server name with a final dot is the same host without it", () => {
  const name = (n: string) => {
    const scan = scanClientHello(records(helloBody(serverNameExtension([[0, n]]))));
    return scan.state === "parsed" ? scan.serverName : scan.state;
  };
  assertEquals(name("TLS.example.com."), "tls.example.com");
  assertEquals(name("tls.example.com.."), "");
  assertEquals(name("."), "");
  assertEquals(name("10.0.0.1."), "");
  assertEquals(name("x".repeat(253) + "."), "x".repeat(253));
});
