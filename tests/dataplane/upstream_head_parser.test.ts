import { assertEquals, assertThrows } from "@std/assert";
import {
  parseResponseHead,
  parseResponseHeadBytes,
} from "../../src/dataplane/upstream_head_parser.ts";
import { UpstreamError } from "../../src/dataplane/upstream_types.ts";

Deno.test("a response head yields status, lower-case headers and framing", () => {
  const head = parseResponseHead(
    "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2",
  );
  assertEquals(head.status, 201);
  assertEquals(head.contentLength, 12);
  assertEquals(head.keepAlive, true);
  assertEquals(head.headers, [["content-type", "text/plain"], ["set-cookie", "a=1"], [
    "set-cookie",
    "b=2",
  ]]);
});

Deno.test("hop-by-hop headers and the ones Connection lists are removed from responses", () => {
  const head = parseResponseHead(
    "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nKeep-Alive: timeout=5\r\nX-Private: s\r\nUpgrade: h2c\r\nTrailer: x\r\nProxy-Connection: x\r\nX-Public: p\r\nTransfer-Encoding: chunked",
  );
  assertEquals(head.headers, [["x-public", "p"]]);
  assertEquals(head.chunked, true);
});

Deno.test("Connection: close and HTTP/1.0 without keep-alive end the connection", () => {
  assertEquals(
    parseResponseHead("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0").keepAlive,
    false,
  );
  assertEquals(parseResponseHead("HTTP/1.0 200 OK\r\nContent-Length: 0").keepAlive, false);
  assertEquals(
    parseResponseHead("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0").keepAlive,
    true,
  );
});

Deno.test("Transfer-Encoding wins over Content-Length and the connection is not reused", () => {
  const head = parseResponseHead(
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked",
  );
  assertEquals(head.chunked, true);
  assertEquals(head.contentLength, -1);
  assertEquals(head.keepAlive, false);
});

Deno.test("a transfer coding other than a final chunked runs to connection close", () => {
  const head = parseResponseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip");
  assertEquals(head.untilClose, true);
  assertEquals(head.keepAlive, false);
});

Deno.test("repeated equal Content-Length values are accepted", () => {
  assertEquals(
    parseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5").contentLength,
    5,
  );
});

Deno.test("malformed response heads are protocol errors", () => {
  const bad = [
    "HTTP/2 200 OK",
    "HTTP/1.1 2000 OK",
    "HTTP/1.1 abc nope",
    "ICY 200 OK",
    "HTTP/1.1 200 OK\r\nno colon here",
    "HTTP/1.1 200 OK\r\n folded: value",
    "HTTP/1.1 200 OK\r\nBad Name: v",
    "HTTP/1.1 200 OK\r\nX: a\u0000b",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6",
    "HTTP/1.1 200 OK\r\nContent-Length: -1",
    "HTTP/1.1 200 OK\r\nContent-Length: 0x10",
  ];
  for (const text of bad) {
    const error = assertThrows(() => parseResponseHead(text), UpstreamError) as UpstreamError;
    assertEquals(error.kind, "protocol", text);
  }
});

Deno.test("a response head is parsed from the middle of a byte buffer", () => {
  const bytes = new TextEncoder().encode(
    "xxHTTP/1.1 200 OK\r\nContent-Length:  7 \r\nX-A:\tb c\t\r\nConnection: keep-alive\r\n\r\nbody",
  );
  const end = bytes.indexOf(13, bytes.lastIndexOf(58)); // end of the last header line
  const head = parseResponseHeadBytes(bytes, 2, end);
  assertEquals(head.status, 200);
  assertEquals(head.contentLength, 7);
  assertEquals(head.headers, [["x-a", "b c"]]);
  assertEquals(head.keepAlive, true);
});

Deno.test("a lone CR or LF inside a header value is a protocol error", () => {
  for (const bad of ["X-A: a\rb", "X-A: a\nb"]) {
    assertThrows(() => parseResponseHead(`HTTP/1.1 200 OK\r\n${bad}`), UpstreamError);
  }
});

Deno.test("header values are read as latin-1 bytes, in short and long heads alike", () => {
  const padding = "x".repeat(100);
  for (
    const head of [
      "HTTP/1.1 200 OK\r\nX-Name: Jos\xe9",
      `HTTP/1.1 200 OK\r\nX-Pad: ${padding}\r\nX-Name: Jos\xe9`,
    ]
  ) {
    const bytes = Uint8Array.from(head, (c) => c.charCodeAt(0));
    const parsed = parseResponseHeadBytes(bytes, 0, bytes.length);
    assertEquals(parsed.headers.find(([name]) => name === "x-name")?.[1], "Jos\xe9");
  }
  const ascii = new TextEncoder().encode(`HTTP/1.1 204 No Content\r\nX-Pad: ${padding}`);
  assertEquals(parseResponseHeadBytes(ascii, 0, ascii.length).headers, [["x-pad", padding]]);
});

Deno.test("fields whose names have the length of a name the parser acts on are kept as sent", () => {
  const head = parseResponseHead(
    "HTTP/1.1 200 OK\r\nTE-X: 1\r\nVary: a\r\nDATE: d\r\nExpires: 0\r\nUPGRADE: u\r\n" +
      "Set-Cookie: c\r\nCONNECTION: Keep-Alive\r\nx-keep-alive: k\r\nContent-Lengtx: 5\r\n" +
      "Content-Length: 2\r\nProxy-Connexion: p\r\nPROXY-CONNECTION: q\r\n" +
      "Transfer-Encodinx: t\r\nTrailer: t\r\nX-Trailer: x",
  );
  assertEquals(head.headers, [
    ["te-x", "1"],
    ["vary", "a"],
    ["date", "d"],
    ["expires", "0"],
    ["set-cookie", "c"],
    ["x-keep-alive", "k"],
    ["content-lengtx", "5"],
    ["proxy-connexion", "p"],
    ["transfer-encodinx", "t"],
    ["x-trailer", "x"],
  ]);
  assertEquals([head.contentLength, head.keepAlive, head.chunked, head.trailer], [
    2,
    true,
    false,
    true,
  ]);
});
