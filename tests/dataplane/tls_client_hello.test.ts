/**
 * The ClientHello scanner against real clients' first bytes (captured at test
 * time from Deno, curl and openssl), hand-built hellos for the edge cases,
 * fragmentation, truncation at every byte, and garbage.
 */
import { assert, assertEquals } from "@std/assert";
import {
  type ClientHelloScan,
  MAX_CLIENT_HELLO_BYTES,
  scanClientHello,
} from "../../src/dataplane/tls_client_hello.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import {
  alpn,
  grease,
  helloBody,
  records,
  serverNameExtension,
  u24,
} from "./_client_hello_bytes.ts";

function parsedName(scan: ClientHelloScan): string | undefined {
  return scan.state === "parsed" ? scan.serverName : undefined;
}

Deno.test("the host_name of the server_name extension is read, after other extensions", () => {
  const bytes = records(
    helloBody([...grease, ...alpn, ...serverNameExtension([[0, "a.example.com"]])]),
  );
  assertEquals(scanClientHello(bytes), {
    state: "parsed",
    serverName: "a.example.com",
    length: bytes.length,
  });
});

Deno.test("server names are lower-cased; names that are not DNS names count as no name", () => {
  const name = (n: string) =>
    parsedName(scanClientHello(records(helloBody(serverNameExtension([[0, n]])))));
  assertEquals(name("Foo.Example.COM"), "foo.example.com");
  assertEquals(name("10.0.0.1"), "", "an IPv4 literal is not a server name");
  assertEquals(name("a b.example.com"), "");
  assertEquals(name("a..example.com"), "");
  assertEquals(name("\u00e9.example.com"), "");
});

Deno.test("a ClientHello without SNI, or without any extension, gives the empty name", () => {
  assertEquals(parsedName(scanClientHello(records(helloBody([...alpn])))), "");
  assertEquals(parsedName(scanClientHello(records(helloBody(null)))), "");
  assertEquals(parsedName(scanClientHello(records(helloBody([], 0)))), "");
});

Deno.test("a server_name list is walked past entries of unknown name types", () => {
  const bytes = records(helloBody(serverNameExtension([[7, "ignored"], [0, "b.example.com"]])));
  assertEquals(parsedName(scanClientHello(bytes)), "b.example.com");
});

Deno.test("a ClientHello fragmented over several records is reassembled", () => {
  const body = helloBody([...alpn, ...serverNameExtension([[0, "frag.example.com"]])]);
  for (const size of [1, 3, 50]) {
    assertEquals(parsedName(scanClientHello(records(body, size))), "frag.example.com", `${size}`);
  }
});

Deno.test("every proper prefix of a ClientHello is incomplete, and the whole is parsed", () => {
  const bytes = records(helloBody([...alpn, ...serverNameExtension([[0, "p.example.com"]])]), 40);
  for (let n = 0; n < bytes.length; n++) {
    assertEquals(scanClientHello(bytes.subarray(0, n)).state, "incomplete", `prefix ${n}`);
  }
  assertEquals(parsedName(scanClientHello(bytes)), "p.example.com");
});

Deno.test("bytes after the ClientHello (early data) do not change the result", () => {
  const hello = records(helloBody(serverNameExtension([[0, "e.example.com"]])));
  const more = new Uint8Array(hello.length + 10);
  more.set(hello);
  more.set([23, 3, 3, 0, 5, 1, 2, 3, 4, 5], hello.length);
  assertEquals(scanClientHello(more), {
    state: "parsed",
    serverName: "e.example.com",
    length: hello.length,
  });
});

Deno.test("plain HTTP, other record types and other handshake types are invalid at once", () => {
  const http = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assertEquals(scanClientHello(http).state, "invalid");
  assertEquals(scanClientHello(new Uint8Array([23, 3, 3, 0, 1, 0])).state, "invalid");
  assertEquals(scanClientHello(new Uint8Array([22, 3, 3, 0, 4, 2, 0, 0, 0])).state, "invalid");
  // A handshake type is known wrong from the first body byte, before the record is complete.
  assertEquals(scanClientHello(new Uint8Array([22, 3, 1, 1, 0, 2])).state, "invalid");
  assertEquals(scanClientHello(new Uint8Array([22, 2, 0, 0, 10])).state, "invalid");
  assertEquals(scanClientHello(new Uint8Array([22, 3, 1, 0, 0])).state, "invalid");
});

Deno.test("lengths that run past their container are invalid, not read past", () => {
  const good = helloBody([...alpn, ...serverNameExtension([[0, "x.example.com"]])]);
  const extensionsAt = 2 + 32 + 1 + 32 + 2 + 4 + 2;
  const corrupt = (at: number, value: number) => {
    const body = [...good];
    body[at] = value;
    return scanClientHello(records(body)).state;
  };
  assertEquals(corrupt(34, 200), "invalid", "session id longer than the hello");
  assertEquals(corrupt(extensionsAt, 0xff), "invalid", "extensions longer than the hello");
  assertEquals(corrupt(extensionsAt + 4, 0xff), "invalid", "ALPN longer than the extensions");
  assertEquals(corrupt(2 + 32 + 1 + 32 + 1, 3), "invalid", "odd cipher suites length");
});

Deno.test("a ClientHello declared longer than the limit is invalid without waiting for it", () => {
  const header = new Uint8Array([22, 3, 1, 0x40, 0, 1, ...u24(MAX_CLIENT_HELLO_BYTES)]);
  assertEquals(scanClientHello(header).state, "invalid");
});

Deno.test("random bytes never throw", () => {
  // Deterministic generator: failures reproduce.
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  const base = records(helloBody([...alpn, ...serverNameExtension([[0, "r.example.com"]])]));
  for (let round = 0; round < 2000; round++) {
    const bytes = base.slice();
    // Keep the record and handshake headers half the time, so the body parser is reached.
    const from = round % 2 === 0 ? 9 : 0;
    for (let i = 0; i < 4; i++) {
      bytes[from + (next() * 7 + next()) % (bytes.length - from)] = next();
    }
    const scan = scanClientHello(bytes);
    assert(["parsed", "incomplete", "invalid"].includes(scan.state));
  }
});

/** The first bytes a real client sends to a server that never answers. */
async function captureFirstBytes(dial: (port: number) => Promise<unknown>): Promise<Uint8Array> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const client = dial(port).catch(() => {});
  const conn = await listener.accept();
  let bytes = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (scanClientHello(bytes).state === "incomplete") {
    const n = await conn.read(chunk);
    if (n === null) break;
    const next = new Uint8Array(bytes.length + n);
    next.set(bytes);
    next.set(chunk.subarray(0, n), bytes.length);
    bytes = next;
  }
  conn.close();
  listener.close();
  await client;
  return bytes;
}

async function runTool(command: string, args: string[]): Promise<void> {
  await new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" })
    .output();
}

Deno.test("real ClientHellos from Deno, curl and openssl carry the server name they were given", async () => {
  const fromDeno = await captureFirstBytes(async (port) => {
    const conn = await connectTlsWithServerName({
      hostname: "127.0.0.1",
      port,
      serverName: "deno.example.com",
      caCerts: [],
    });
    await conn.handshake().catch(() => {});
    conn.close();
  });
  assertEquals(parsedName(scanClientHello(fromDeno)), "deno.example.com");

  const fromCurl = await captureFirstBytes((port) =>
    runTool("curl", [
      "-sk",
      "--max-time",
      "2",
      "--resolve",
      `Curl.Example.com:${port}:127.0.0.1`,
      `https://Curl.Example.com:${port}/`,
    ])
  );
  assertEquals(parsedName(scanClientHello(fromCurl)), "curl.example.com");

  const fromOpenssl = await captureFirstBytes((port) =>
    runTool("timeout", [
      "2",
      "openssl",
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "ossl.example.com",
    ])
  );
  assertEquals(parsedName(scanClientHello(fromOpenssl)), "ossl.example.com");

  const noName = await captureFirstBytes((port) =>
    runTool("timeout", [
      "2",
      "openssl",
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-noservername",
    ])
  );
  assertEquals(parsedName(scanClientHello(noName)), "");
});
