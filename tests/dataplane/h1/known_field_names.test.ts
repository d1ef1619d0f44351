/**
 * Known header field names (`known_field_names.ts`) come out as the same
 * lower-case names the head parser gives any other field.
 */
import { assertEquals } from "@std/assert";
import { knownFieldName } from "../../../src/dataplane/h1/known_field_names.ts";
import { parseRequestHead } from "../../../src/dataplane/h1/h1_request_head.ts";
import { parseResponseHeadBytes } from "../../../src/dataplane/upstream_head_parser.ts";
import { bytesOf } from "./_h1_harness.ts";

function name(text: string): string | undefined {
  return knownFieldName(bytesOf(`${text}: v`), 0, text.length);
}

Deno.test("known field names: any case gives the lower-case name; a near miss or an unknown name gives none", () => {
  assertEquals(name("User-Agent"), "user-agent");
  assertEquals(name("HOST"), "host");
  assertEquals(name("x-forwarded-for"), "x-forwarded-for");
  assertEquals(name("User_Agent"), undefined);
  assertEquals(name("hosts"), undefined);
  assertEquals(name("X-Custom"), undefined);
  assertEquals(name("TE"), "te");
});

Deno.test("known field names: a parsed head names known and other fields alike, lower case, in order", () => {
  const text = "GET / HTTP/1.1\r\nHOST: a\r\nAccept: */*\r\nX-Mixed-Case: 1\r\nuser-agent: u";
  const bytes = bytesOf(text);
  const head = parseRequestHead(bytes, 0, bytes.length);
  assertEquals(head.fields.pairs(), [["host", "a"], ["accept", "*/*"], ["x-mixed-case", "1"], [
    "user-agent",
    "u",
  ]]);
  assertEquals(head.host, "a");
});

Deno.test("known field names: an upstream response head names known and other fields alike, lower case, in order", () => {
  const text = "HTTP/1.1 200 OK\r\nServer: nginx\r\nDATE: d\r\nX-Mixed-Case: 1\r\n" +
    'Content-Length: 0\r\nETag: "e"\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2';
  const bytes = bytesOf(text);
  const head = parseResponseHeadBytes(bytes, 0, bytes.length);
  assertEquals(head.headers, [
    ["server", "nginx"],
    ["date", "d"],
    ["x-mixed-case", "1"],
    ["etag", '"e"'],
    ["set-cookie", "a=1"],
    ["set-cookie", "b=2"],
  ]);
  assertEquals(head.contentLength, 0);
});
