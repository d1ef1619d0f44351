/**
 * Following the framing of a diverted conversation: request heads held until
 * complete and passed on with their bodies (length, chunked), an upgrade
 * request found at any point (the bytes after it are the tunnel's), limits
 * that end the tracking rather than buffer; and the engine's answers counted
 * through interim, bodiless, sized and chunked ones.
 */
import { assert, assertEquals } from "@std/assert";
import { ChunkedFraming } from "../../src/dataplane/upgrade_chunked_framing.ts";
import { RequestFraming, ResponseFraming } from "../../src/dataplane/upgrade_framing.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const UPGRADE = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";

/** Pushes `text` in pieces of `size` bytes; what was forwarded, the methods and the upgrade. */
function pushAll(framing: RequestFraming, text: string, size = Infinity) {
  const bytes = encoder.encode(text);
  let forwarded = "";
  const methods: string[] = [];
  for (let i = 0; i < bytes.length; i += Math.min(size, bytes.length)) {
    const step = framing.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
    forwarded += step.forward.map((b) => decoder.decode(b)).join("");
    methods.push(...step.methods);
    if (step.upgrade !== undefined) {
      const rest = decoder.decode(step.upgrade.rest) +
        decoder.decode(bytes.subarray(Math.min(bytes.length, i + size)));
      return { forwarded, methods, upgrade: step.upgrade.head, rest };
    }
  }
  return { forwarded, methods, upgrade: undefined, rest: "" };
}

Deno.test("a GET then an upgrade in one write: the GET is passed on, the upgrade and its early bytes are not", () => {
  const get = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
  const out = pushAll(new RequestFraming(), get + UPGRADE + "early");
  assertEquals(out.forwarded, get);
  assertEquals(out.methods, ["GET"]);
  assertEquals(out.upgrade?.target, "/ws");
  assertEquals(out.rest, "early");
});

Deno.test("a framing that takes no upgrades passes an upgrade request on as a request", () => {
  const get = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
  const out = pushAll(new RequestFraming(false), UPGRADE + get, 7);
  assertEquals(out.forwarded, UPGRADE + get);
  assertEquals(out.methods, ["GET", "GET"]);
  assertEquals(out.upgrade, undefined);
});

Deno.test("a chunked POST (extensions, trailers) then an upgrade, a byte at a time", () => {
  const post = "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\n";
  const framing = new RequestFraming();
  const out = pushAll(framing, post + UPGRADE, 1);
  assertEquals(out.forwarded, post);
  assertEquals(out.methods, ["POST"]);
  assertEquals(out.upgrade?.upgrade, "websocket");
});

Deno.test("an upgrade-looking head inside a Content-Length body is body, not a request", () => {
  const post = `POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: ${UPGRADE.length}\r\n\r\n${UPGRADE}`;
  const out = pushAll(new RequestFraming(), post, 7);
  assertEquals(out.forwarded, post);
  assertEquals(out.upgrade, undefined);
});

Deno.test("a partial head is held; a head past the limit is passed on and the tracking ends", () => {
  const framing = new RequestFraming();
  assertEquals(framing.push(encoder.encode("GET / HTTP/1.1\r\nHo")).forward, []);
  assert(framing.inHead);
  const huge = new RequestFraming();
  const big = "GET / HTTP/1.1\r\nX-Big: " + "a".repeat(70 * 1024);
  assertEquals(pushAll(huge, big, 8192).forwarded, big);
  assert(huge.opaque);
  // Whatever follows goes through untouched, an upgrade included.
  assertEquals(pushAll(huge, "\r\n\r\n" + UPGRADE).forwarded, "\r\n\r\n" + UPGRADE);
});

Deno.test("an h2c preface, TLS bytes, a malformed head or body end the tracking at once", () => {
  for (const text of ["PRI * HTTP/2.0\r\n", "\x16\x03\x01\x00"]) {
    const framing = new RequestFraming();
    assertEquals(pushAll(framing, text).forwarded, text);
    assert(framing.opaque, JSON.stringify(text));
  }
  const twice = "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const framing = new RequestFraming();
  assertEquals(pushAll(framing, twice + UPGRADE).forwarded, twice + UPGRADE);
  const badChunk = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
  const chunked = new RequestFraming();
  assertEquals(pushAll(chunked, badChunk + UPGRADE).forwarded, badChunk + UPGRADE);
  assert(chunked.opaque);
});

Deno.test("chunked framing stops at the end of the trailers and refuses oversized sizes", () => {
  const framing = new ChunkedFraming();
  const bytes = encoder.encode("3\r\nabc\r\n0\r\n\r\nNEXT");
  assertEquals(framing.consume(bytes, 0, bytes.length), bytes.length - 4);
  assert(framing.done);
  const huge = encoder.encode("1234567890abcd\r\n");
  assertEquals(new ChunkedFraming().consume(huge, 0, huge.length), -1);
  const noCrlf = encoder.encode("1\r\naXY");
  assertEquals(new ChunkedFraming().consume(noCrlf, 0, noCrlf.length), -1);
});

Deno.test("answers are counted through 100 Continue, HEAD, 204, sized and chunked bodies", () => {
  const framing = new ResponseFraming();
  for (const method of ["POST", "HEAD", "GET", "GET"]) framing.expect(method);
  const answers = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok" +
    "HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n" +
    "HTTP/1.1 204 No Content\r\n\r\n" +
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
  const bytes = encoder.encode(answers);
  for (let i = 0; i < bytes.length; i += 5) {
    framing.scan(bytes.subarray(i, i + 5));
    if (i + 5 < bytes.length) assert(framing.outstanding > 0);
  }
  assertEquals(framing.outstanding, 0);
  assertEquals(framing.closing, false);
});

Deno.test("an answer that closes the connection is noted; one without framing loses the count", () => {
  const closing = new ResponseFraming();
  closing.expect("GET");
  closing.scan(
    encoder.encode("HTTP/1.1 400 Bad\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"),
  );
  assertEquals(closing.outstanding, 0);
  assert(closing.closing);
  const open = new ResponseFraming();
  open.expect("GET");
  open.scan(encoder.encode("HTTP/1.1 200 OK\r\n\r\nbody until close"));
  assert(open.lost);
});
