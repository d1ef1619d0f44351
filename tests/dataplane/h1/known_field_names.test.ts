/**
 * Known header field names (`known_field_names.ts`) come out as the same
 * lower-case names the head parser gives any other field.
 */
import { assertEquals } from "@std/assert";
import { knownFieldName } from "../../../src/dataplane/h1/known_field_names.ts";
import { parseRequestHead } from "../../../src/dataplane/h1/h1_request_head.ts";
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
  assertEquals(head.headers, [["host", "a"], ["accept", "*/*"], ["x-mixed-case", "1"], [
    "user-agent",
    "u",
  ]]);
  assertEquals(head.host, "a");
});
