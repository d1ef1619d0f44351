/**
 * The bytes our HTTP/1.1 server builds for an answer (`h1_head_bytes.ts`,
 * `h1_response.ts`): the same bytes `TextEncoder` makes of the head's text,
 * also for characters above 127 and for heads and bodies larger than a
 * pooled buffer, and a buffer given back serves the next answer cleanly.
 * Through the server, an answer whose write the socket takes in parts is
 * still sent whole.
 */
import { assert, assertEquals } from "@std/assert";
import { fieldPrefix, HeadBytes } from "../../../src/dataplane/h1/h1_head_bytes.ts";
import { AnswerWriter } from "../../../src/dataplane/h1/h1_response.ts";
import { serveH1 } from "../../../src/dataplane/h1/h1_connection.ts";
import type { ResponseLines, UpstreamResponse } from "../../../src/dataplane/upstream_types.ts";
import { readResponseHead } from "../../../src/dataplane/upstream_head_parser.ts";
import { bytesOf } from "./_h1_harness.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The head of `bytes` as text, the `date` line taken out. */
function headText(bytes: Uint8Array): string {
  return decoder.decode(bytes).replace(/date: [^\r]*\r\n/, "");
}

Deno.test("head bytes: a value above 127 is written as TextEncoder writes it", () => {
  const head = new HeadBytes();
  head.begin(200);
  head.field("x-name", "café ☕ \u{1F600}");
  head.end();
  const expected = encoder.encode("HTTP/1.1 200 OK\r\nx-name: café ☕ \u{1F600}\r\n\r\n");
  assertEquals(head.bytes(), expected);
  head.release();
});

Deno.test("head bytes: a head and a body larger than a pooled buffer are written whole, and the buffer serves the next answer", () => {
  const head = new HeadBytes();
  head.begin(404);
  const long = "v".repeat(20_000);
  head.field("x-long", long);
  head.end();
  const body = new Uint8Array(30_000).fill(65);
  head.append(body);
  const bytes = head.bytes();
  const text = decoder.decode(bytes);
  assert(text.startsWith(`HTTP/1.1 404 Not Found\r\nx-long: ${long}\r\n\r\n`));
  assertEquals(bytes.length, text.indexOf("\r\n\r\n") + 4 + body.length);
  head.release();
  head.begin(200);
  head.field("a", "b");
  head.end();
  assertEquals(decoder.decode(head.bytes()), "HTTP/1.1 200 OK\r\na: b\r\n\r\n");
  head.release();
});

Deno.test("answer writer: a backend's answer with a small body is one run of bytes, its length and Date added", () => {
  const writer = new AnswerWriter();
  const res: UpstreamResponse = {
    status: 200,
    headers: [["content-type", "text/plain"], ["x-é", "ü"]],
    body: encoder.encode("hello"),
    contentLength: null,
  };
  const bytes = writer.upstream(res, "GET", 1, false);
  const text = decoder.decode(bytes);
  assert(/\r\ndate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/.test(text));
  assertEquals(
    headText(bytes),
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-é: ü\r\ncontent-length: 5\r\n\r\nhello",
  );
  assert(!writer.streams);
  assert(writer.keepsAlive);
  writer.written();
  const again = writer.upstream({ ...res, body: null, status: 204 }, "GET", 0, true);
  assertEquals(
    headText(again),
    "HTTP/1.1 204 No Content\r\ncontent-type: text/plain\r\nx-é: ü\r\nconnection: close\r\n\r\n",
  );
  assert(!writer.keepsAlive);
  writer.written();
});

Deno.test("answer writer: a remembered backend head frames the same bytes as its copied lines, whatever the request, status, length and Date", () => {
  const date = "Date: Tue, 01 Dec 2026 00:00:00 GMT\r\n";
  const writer = new AnswerWriter();
  const seen: string[] = [];
  for (const dated of [false, true]) {
    const text = `HTTP/1.1 200 OK\r\nServer: s/1\r\n${
      dated ? date : ""
    }X-A:  a \r\nContent-Length: 3`;
    const buf = bytesOf(text);
    const read = readResponseHead(buf, 0, buf.length);
    read.headers; // Strings made: the lines below are the same either way.
    assert(read.rememberedLines() !== undefined);
    const copied: ResponseLines = {
      buf,
      places: read.places,
      date: read.date,
      rememberedLines: () => undefined,
    };
    for (const status of [200, 201, 204, 304, 404, 503]) {
      for (
        const [method, minor, close] of [["GET", 1, false], ["GET", 1, true], ["GET", 0, false], [
          "HEAD",
          1,
          false,
        ]] as const
      ) {
        for (const length of [3, 3, 0, 3, 7]) {
          const answer = (lines: ResponseLines) => {
            const res = new LinesResponse(status, lines, encoder.encode("b".repeat(length)));
            const bytes = decoder.decode(writer.upstream(res, method, minor, close));
            const keeps = writer.keepsAlive;
            writer.written();
            return [bytes.replace(/date: [^\r]*\r\n/, "date: D\r\n"), keeps];
          };
          const framed = answer(read);
          assertEquals(
            framed,
            answer(copied),
            `${dated} ${status} ${method} ${minor} ${close} ${length}`,
          );
          seen.push(framed[0] as string);
        }
      }
    }
  }
  // The remembered lines served: a GET in HTTP/1.1 kept open answers with its length and one Date.
  assert(
    seen.includes(
      "HTTP/1.1 200 OK\r\nserver: s/1\r\nx-a: a\r\ndate: D\r\ncontent-length: 7\r\n\r\nbbbbbbb",
    ),
  );
  assert(
    seen.includes(
      "HTTP/1.1 200 OK\r\nserver: s/1\r\ndate: D\r\nx-a: a\r\ncontent-length: 0\r\n\r\n",
    ),
  );
});

/** A backend's answer whose fields stay as `lines` (what the HTTP/1.1 client makes of a lent body). */
class LinesResponse implements UpstreamResponse {
  readonly contentLength = null;
  constructor(readonly status: number, readonly lines: ResponseLines, readonly body: Uint8Array) {}
  get headers(): [string, string][] {
    throw new Error("Cannot read the headers of an answer framed from its lines");
  }
}

/** A client connection whose every write takes at most `most` bytes; it sends one request. */
class TrickleClient {
  readonly localAddr = { transport: "tcp", hostname: "127.0.0.1", port: 80 } as Deno.NetAddr;
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 } as Deno.NetAddr;
  received: number[] = [];
  #request: Uint8Array | undefined;

  constructor(request: string, readonly most: number) {
    this.#request = bytesOf(request);
  }

  read(buf: Uint8Array): Promise<number | null> {
    const request = this.#request;
    this.#request = undefined;
    if (request === undefined) return Promise.resolve(null);
    buf.set(request);
    return Promise.resolve(request.length);
  }

  write(bytes: Uint8Array): Promise<number> {
    const n = Math.min(this.most, bytes.length);
    this.received.push(...bytes.subarray(0, n));
    return Promise.resolve(n);
  }

  close(): void {}
  setNoDelay(): void {}
}

Deno.test("own server: an answer the socket takes a few bytes at a time is still sent whole", async () => {
  const client = new TrickleClient("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 7);
  const served = serveH1(client as unknown as Deno.Conn, {
    handler: () => new Response("the whole body"),
    onError: () => new Response("failed\n", { status: 500 }),
    scheme: "http",
  });
  await served.finished;
  const text = headText(Uint8Array.from(client.received));
  assertEquals(
    text,
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\n" +
      "transfer-encoding: chunked\r\nconnection: close\r\n\r\ne\r\nthe whole body\r\n0\r\n\r\n",
  );
});

Deno.test("head bytes: a field whose name comes as bytes is the line field writes from its name", () => {
  const head = new HeadBytes();
  const fields: [string, string][] = [
    ["content-length", "2"],
    ["x-abcdefghijkl", ""],
    ["content-length", "3"],
    ["x-caf\u00e9", "v\u00e9"],
    ["x-" + "n".repeat(60), "long name"],
    ["connection", "close"],
  ];
  for (let round = 0; round < 2; round++) {
    head.begin(200);
    for (const [i, [name, value]] of fields.entries()) {
      if ((i + round) % 2 === 0) head.prefixedField(fieldPrefix(name), value);
      else head.field(name, value);
    }
    head.end();
    const text = fields.map(([name, value]) => `${name}: ${value}\r\n`).join("");
    assertEquals(head.bytes(), encoder.encode(`HTTP/1.1 200 OK\r\n${text}\r\n`));
    head.release();
  }
});

Deno.test("head bytes: a number field is the line its String spells, for any integer and the rest", () => {
  const head = new HeadBytes();
  const prefix = fieldPrefix("content-length");
  const numbers = [0, -0, 7, 9, 10, 29, 99, 100, 65536, 2147483647, 2147483648, 2 ** 53 - 1];
  for (const n of [...numbers, -1, -2147483648, 0.5, NaN, Infinity]) {
    head.begin(200);
    head.prefixedNumber(prefix, n);
    head.end();
    assertEquals(
      decoder.decode(head.bytes()),
      `HTTP/1.1 200 OK\r\ncontent-length: ${String(n)}\r\n\r\n`,
      String(n),
    );
    head.release();
  }
});

Deno.test("head bytes: an answer as long as the last one shows its own bytes, and a longer or shorter one its own length", () => {
  const head = new HeadBytes();
  const heads = [
    ["HTTP/1.1 200 OK", "x-a", "1"],
    ["HTTP/1.1 201 Created", "x-a", "1"],
    ["HTTP/1.1 200 OK", "x-b", "2"],
    ["HTTP/1.1 200 OK", "x-b", "22"],
    ["HTTP/1.1 200 OK", "x-b", "2"],
  ] as const;
  for (const [line, name, value] of heads) {
    head.begin(Number(line.slice(9, 12)));
    head.field(name, value);
    head.end();
    const bytes = head.bytes();
    assertEquals(bytes, encoder.encode(`${line}\r\n${name}: ${value}\r\n\r\n`));
    head.release();
  }
  // A head that outgrew the pooled buffer is shown from its own, whole.
  head.begin(200);
  head.field("x-big", "v".repeat(10_000));
  head.end();
  assertEquals(head.bytes().length, "HTTP/1.1 200 OK\r\nx-big: \r\n\r\n".length + 10_000);
  head.release();
  head.begin(200);
  head.end();
  assertEquals(head.bytes(), encoder.encode("HTTP/1.1 200 OK\r\n\r\n"));
  head.release();
});
