/**
 * The verdict of `deno task h2spec` (scripts/h2spec.ts): h2spec's JUnit
 * report read back case by case, and a failure fails the run unless the
 * allow-list names it for that target.
 */
import { assertEquals } from "@std/assert";
import { judge, parseJunit } from "../../scripts/h2spec/results.ts";
import { ALLOWED } from "../../scripts/h2spec.ts";

const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="3.5. HTTP/2 Connection Preface" package="http2/3.5" tests="2" errors="1">
    <testcase package="http2/3.5" classname="Sends client connection preface" time="0.0014"></testcase>
    <testcase package="http2/3.5" classname="Sends invalid connection preface" time="0.0039">
      <error>Connection closed
Error: the frame header looked like an HTTP/1.1 header</error>
    </testcase>
  </testsuite>
  <testsuite name="5.1. Stream States" package="http2/5.1" tests="2" failures="1">
    <testcase package="http2/5.1" classname="closed: Sends a DATA frame" time="2.0">
      <failure>GOAWAY Frame (Error Code: STREAM_CLOSED)&#xA;Timeout</failure>
    </testcase>
    <testcase package="http2/5.1" classname="idle: Sends a &quot;DATA&quot; frame" time="0.1"><skipped/></testcase>
  </testsuite>
</testsuites>`;

Deno.test("h2spec results: cases are read with their section, title and outcome", () => {
  const cases = parseJunit(REPORT);
  assertEquals(cases.map((c) => [c.id, c.outcome]), [
    ["http2/3.5: Sends client connection preface", "passed"],
    ["http2/3.5: Sends invalid connection preface", "failed"],
    ["http2/5.1: closed: Sends a DATA frame", "failed"],
    ['http2/5.1: idle: Sends a "DATA" frame', "skipped"],
  ]);
  assertEquals(cases[2].detail, "GOAWAY Frame (Error Code: STREAM_CLOSED)\nTimeout");
});

Deno.test("h2spec results: a failure is allowed only on the targets its entry names", () => {
  const cases = parseJunit(REPORT);
  const cleartext = judge("h2c-mixed", cases, ALLOWED);
  assertEquals([cleartext.passed, cleartext.failed, cleartext.skipped], [1, 2, 1]);
  assertEquals(cleartext.allowed.map((c) => c.id), ["http2/3.5: Sends invalid connection preface"]);
  assertEquals(cleartext.unexpected.map((c) => c.id), ["http2/5.1: closed: Sends a DATA frame"]);
  assertEquals(judge("tls", cases, ALLOWED).unexpected.length, 2, "TLS has ALPN: no allowance");
});

Deno.test("h2spec results: every allow-list entry gives its reason", () => {
  for (const entry of ALLOWED) assertEquals(entry.reason.length > 40, true, entry.id);
});
