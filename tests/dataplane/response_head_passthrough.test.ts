/**
 * A backend's response head passed to the client from the bytes it came
 * in (a small body lent with it): the field lines copied with lower-cased
 * names and values as the backend sent their bytes, framing and hop-by-hop
 * fields held back, `Date` kept when sent and added when not; a rule's
 * response header modifiers still apply, and a streamed answer's head says
 * the same fields through strings.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { askOnce, startByteRig } from "./_byte_backend.ts";
import { readResponseHead } from "../../src/dataplane/upstream_head_parser.ts";
import { bytesOf } from "./h1/_h1_harness.ts";

const GET = "GET /x HTTP/1.1\r\nhost: a.example\r\n\r\n";

const BACKEND_HEAD =
  "HTTP/1.1 200 Fine\r\nX-Mixed-Case:   spaced  value \t\r\nSERVER: backend/1\r\n" +
  "Connection: Keep-Alive\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n" +
  "TE: trailers\r\nUpgrade: h2c\r\nDate: Tue, 01 Dec 2026 00:00:00 GMT\r\nX-Obs: caf\xe9\r\n" +
  "Set-Cookie: a=1\r\nset-cookie: b=2\r\n";

Deno.test("a backend's field lines reach the client with lower-case names and the value bytes sent", async () => {
  await using rig = startByteRig([`${BACKEND_HEAD}Content-Length: 2\r\n\r\nok`]);
  const expected = "HTTP/1.1 200 OK\r\nx-mixed-case: spaced  value\r\nserver: backend/1\r\n" +
    "date: Tue, 01 Dec 2026 00:00:00 GMT\r\nx-obs: caf\xe9\r\nset-cookie: a=1\r\n" +
    "set-cookie: b=2\r\ncontent-length: 2\r\n\r\nok";
  // The second request takes the pooled connection the first left.
  assertEquals(await askOnce(rig.port, GET), expected);
  assertEquals(await askOnce(rig.port, GET), expected);
});

Deno.test("fields a backend's Connection lists are not passed on, and a missing Date is added", async () => {
  await using rig = startByteRig([
    "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nX-Private: secret\r\n" +
    "X-Kept: k\r\nContent-Length: 2\r\n\r\nok",
  ]);
  const answer = await askOnce(rig.port, GET);
  assertEquals(answer.includes("x-private"), false, answer);
  assertEquals(
    /^HTTP\/1\.1 200 OK\r\nx-kept: k\r\ndate: [^\r]+ GMT\r\ncontent-length: 2\r\n\r\nok$/.test(
      answer,
    ),
    true,
    answer,
  );
});

Deno.test("a rule's response header modifiers apply to a response whose head stayed in bytes", async () => {
  await using rig = startByteRig([`${BACKEND_HEAD}Content-Length: 2\r\n\r\nok`], [{
    path: "/",
    filters: [{
      type: "ResponseHeaderModifier",
      modifier: {
        set: [{ name: "X-Set", value: "v" }],
        add: [{ name: "X-Mixed-Case", value: "more" }],
        remove: ["server"],
      },
    }],
  }]);
  const answer = await askOnce(rig.port, GET);
  assertStringIncludes(answer, "\r\nx-set: v\r\n");
  assertStringIncludes(answer, "\r\nx-mixed-case: spaced  value,more\r\n");
  assertStringIncludes(answer, "\r\ndate: Tue, 01 Dec 2026 00:00:00 GMT\r\n");
  assertEquals(answer.includes("server:"), false, answer);
  assertEquals(answer.endsWith("\r\n\r\nok"), true, answer);
});

Deno.test("a streamed answer's head says the same fields as a lent one", async () => {
  const body = "b".repeat(200_000);
  await using rig = startByteRig([
    "HTTP/1.1 200 OK\r\nX-Mixed-Case:   spaced  value \t\r\nSERVER: backend/1\r\n" +
    `Keep-Alive: timeout=5\r\nDate: Tue, 01 Dec 2026 00:00:00 GMT\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ]);
  assertEquals(
    await askOnce(rig.port, GET),
    "HTTP/1.1 200 OK\r\nx-mixed-case: spaced  value\r\nserver: backend/1\r\n" +
      `date: Tue, 01 Dec 2026 00:00:00 GMT\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
});

Deno.test("a head read in place says where its kept fields are, and makes their strings when asked", () => {
  const text = "xxHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A:  1 \r\nConnection: close\r\nDate: d";
  const bytes = bytesOf(text);
  const head = readResponseHead(bytes, 2, bytes.length);
  assertEquals(head.places, [
    text.indexOf("X-A"),
    text.indexOf("X-A") + 3,
    text.indexOf("X-A") + 6,
    text.indexOf("X-A") + 7,
    text.indexOf("Date"),
    text.indexOf("Date") + 4,
    text.length - 1,
    text.length,
  ]);
  assertEquals([head.contentLength, head.keepAlive, head.date, head.placed], [
    2,
    false,
    true,
    true,
  ]);
  assertEquals(head.headers, [["x-a", "1"], ["date", "d"]]);
});

Deno.test("a head whose Connection lists a field keeps its fields as strings only", () => {
  const bytes = bytesOf("HTTP/1.1 200 OK\r\nConnection: X-A\r\nX-A: 1\r\nX-B: 2");
  const head = readResponseHead(bytes, 0, bytes.length);
  assertEquals([head.placed, head.places.length], [false, 0]);
  assertEquals(head.headers, [["x-b", "2"]]);
});
