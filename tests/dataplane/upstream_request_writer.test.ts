import { assertEquals } from "@std/assert";
import {
  encodeRequestHead,
  encodeRequestHeadOn,
} from "../../src/dataplane/upstream_request_writer.ts";
import { Http1Connection } from "../../src/dataplane/upstream_connection.ts";

const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

Deno.test("a request head carries the line, the headers and the framing header", () => {
  assertEquals(
    text(encodeRequestHead("POST", "/a?b=1", ["host", "example.com", "x-a", "1"], 12)),
    "POST /a?b=1 HTTP/1.1\r\nhost: example.com\r\nx-a: 1\r\ncontent-length: 12\r\n\r\n",
  );
  assertEquals(
    text(encodeRequestHead("PUT", "/", ["host", "a"], "chunked")),
    "PUT / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n",
  );
  assertEquals(text(encodeRequestHead("GET", "/", [], "none")), "GET / HTTP/1.1\r\n\r\n");
});

Deno.test("a non-ASCII request-target is sent as UTF-8", () => {
  const bytes = encodeRequestHead("GET", "/caf\u00e9", ["host", "a"], "none");
  assertEquals([...bytes.subarray(4, 10)], [0x2f, 0x63, 0x61, 0x66, 0xc3, 0xa9]);
  assertEquals(text(bytes.subarray(10)), " HTTP/1.1\r\nhost: a\r\n\r\n");
});

Deno.test("a latin-1 header value is sent one byte per character", () => {
  const bytes = encodeRequestHead("GET", "/", ["x-name", "Jos\u00e9"], "none");
  const at = bytes.indexOf(0x4a); // "J"
  assertEquals([...bytes.subarray(at, at + 4)], [0x4a, 0x6f, 0x73, 0xe9]);
  assertEquals(bytes.length, "GET / HTTP/1.1\r\nx-name: Jos\u00e9\r\n\r\n".length);
});

Deno.test("request lines follow each request's method and target, written one after another", () => {
  const heads: [string, string][] = [
    ["GET", "/a"],
    ["GET", "/a"],
    ["GET", "/b"],
    ["HEAD", "/b"],
    ["GET", "/caf\u00e9"],
    ["GET", "/caf\u00e9"],
    ["GET", "/" + "x".repeat(200)],
    ["GET", ["", "a"].join("/")],
    ["DELETE", "/a"],
  ];
  for (const [method, target] of heads) {
    const bytes = encodeRequestHead(method, target, ["host", "a"], "none");
    const wire = new TextEncoder().encode(`${method} ${target} HTTP/1.1\r\nhost: a\r\n\r\n`);
    assertEquals([...bytes], [...wire], `${method} ${target}`);
  }
});

Deno.test("a connection's heads are written in its scratch buffer: the view is handed again while as long, and shows each head", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dialed = Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const accepted = await listener.accept();
  const c = new Http1Connection(await dialed);
  try {
    const write = (target: string, room = 0) =>
      encodeRequestHeadOn(c.heads, room, "GET", target, ["host", "a"], "none");
    const first = write("/a");
    assertEquals(text(first), "GET /a HTTP/1.1\r\nhost: a\r\n\r\n");
    const same = write("/b");
    assertEquals([same === first, text(same)], [true, "GET /b HTTP/1.1\r\nhost: a\r\n\r\n"]);
    const longer = write("/cc");
    assertEquals([longer === first, text(longer)], [false, "GET /cc HTTP/1.1\r\nhost: a\r\n\r\n"]);
    // A larger scratch buffer for a body's room: a view of the new buffer.
    const roomy = write("/dd", 8 * 1024);
    assertEquals([roomy === longer, text(roomy)], [false, "GET /dd HTTP/1.1\r\nhost: a\r\n\r\n"]);
    assertEquals(roomy.byteLength, longer.byteLength);
    // Too large for any scratch buffer: an array of its own.
    const large = write("/" + "x".repeat(20 * 1024));
    assertEquals(text(large.subarray(0, 8)), "GET /xxx");
    assertEquals(large.buffer.byteLength, large.length);
  } finally {
    c.close();
    accepted.close();
    listener.close();
  }
});
