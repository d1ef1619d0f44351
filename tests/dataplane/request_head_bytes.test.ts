/**
 * A client's request head forwarded from the bytes it sent (our HTTP/1.1
 * server's fast path, a GET or HEAD without a body): the field lines the
 * proxy passes on are copied as sent (names lower-cased, values byte for
 * byte, in the client's order, a repeated field as its lines); hop-by-hop
 * fields, the fields `Connection` names and the client's address claims are
 * held back; `Host` and `X-Forwarded-*` are the gateway's, and a route's
 * modifiers and rewrites apply. The client's buffer is read into again once
 * the handler's call returns, so a head written later (a new connection's,
 * a stale one's retry) must not be read from it: the rig's `afterFields`
 * scribbles over it at that point.
 */
import { assert, assertEquals } from "@std/assert";
import { askOnce, startByteRig } from "./_byte_backend.ts";
import type { IncomingRequest } from "../../src/dataplane/field_headers.ts";
import { HeadFields } from "../../src/dataplane/head_fields.ts";

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const XF = "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\n" +
  "x-forwarded-host: a.example\r\n";

/** Overwrites the bytes a fast-path request's head was read from, as the server's next read would. */
function scribble(req: IncomingRequest): void {
  const headers = req.headers;
  assert(headers instanceof HeadFields, "the fast path hands over the head's bytes");
  headers.buf.fill(0x5a); // "Z"
}

const TRICKY = "GET /x?q=1 HTTP/1.1\r\nHost: a.example\r\nX-A: 1\r\nUser-Agent: u/1\r\n" +
  "x-a:  2 \t\r\nConnection: keep-alive, X-Private, Accept\r\nX-Private: s\r\nAccept: */*\r\n" +
  "Keep-Alive: timeout=5\r\nProxy-Connection: k\r\nX-Forwarded-For: 1.2.3.4\r\n" +
  "X-Forwarded-Host: evil\r\nX-Forwarded-Proto: https\r\nForwarded: for=1.1.1.1\r\n" +
  "X-Real-IP: 9.9.9.9\r\nX_Under: 1\r\nX-Obs: caf\xe9\r\nCOOKIE: a=1\r\ncookie: b=2\r\n\r\n";

const TRICKY_SENT = "GET /x?q=1 HTTP/1.1\r\nhost: a.example\r\nx-a: 1\r\nuser-agent: u/1\r\n" +
  "x-a: 2\r\nx-obs: caf\xe9\r\ncookie: a=1\r\ncookie: b=2\r\n" + XF + "\r\n";

Deno.test("request head bytes: passed-on lines as sent, in order, repeated ones as their lines; the rest held back", async () => {
  await using rig = startByteRig([OK]);
  // The first on a new connection, the second on the pooled one.
  assertEquals((await askOnce(rig.port, TRICKY)).endsWith("\r\n\r\nok"), true);
  assertEquals((await askOnce(rig.port, TRICKY)).endsWith("\r\n\r\nok"), true);
  assertEquals(rig.heads, [TRICKY_SENT, TRICKY_SENT]);
});

Deno.test("request head bytes: a client taking trailers has TE for the next hop only", async () => {
  await using rig = startByteRig([OK]);
  await askOnce(rig.port, "GET /t HTTP/1.1\r\nhost: a.example\r\nTE: trailers\r\nX-B: b\r\n\r\n");
  assertEquals(rig.heads, [
    `GET /t HTTP/1.1\r\nhost: a.example\r\nx-b: b\r\n${XF}te: trailers\r\nconnection: te\r\n\r\n`,
  ]);
});

Deno.test("request head bytes: a route's modifiers and rewrites change only what they name", async () => {
  await using rig = startByteRig([OK], [{
    path: "/",
    filters: [
      {
        type: "RequestHeaderModifier",
        modifier: {
          set: [{ name: "X-Set", value: "s" }, { name: "X-Forwarded-Proto", value: "p" }],
          add: [{ name: "X-Add", value: "more" }, { name: "X-New", value: "n" }],
          remove: ["x-gone", "X-Forwarded-Host"],
        },
      },
      {
        type: "URLRewrite",
        hostname: "rewritten.example",
        path: { type: "ReplacePrefixMatch", value: "/in" },
      },
    ],
  }]);
  await askOnce(
    rig.port,
    "GET /p?q HTTP/1.1\r\nHost: a.example\r\nX-Add: 1\r\nX-Set: c\r\nX-Keep: k\r\n" +
      "x-add: 2\r\nX-Gone: g\r\nx-set: d\r\nX-GONE: h\r\n\r\n",
  );
  assertEquals(rig.heads, [
    "GET /in/p?q HTTP/1.1\r\nhost: rewritten.example\r\nx-keep: k\r\n" +
    "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: p\r\nx-set: s\r\nx-add: 1, 2,more\r\n" +
    "x-new: n\r\n\r\n",
  ]);
});

Deno.test("request head bytes: the gateway's lines follow each request's host, target and the route's values", async () => {
  const long = "l".repeat(120);
  await using rig = startByteRig([OK], [{
    path: "/",
    filters: [{
      type: "RequestHeaderModifier",
      modifier: {
        set: [
          { name: "X-Obs", value: "caf\xe9" },
          { name: "X-Empty", value: "" },
          { name: "X-Long", value: long },
        ],
        add: [],
        remove: [],
      },
    }],
  }]);
  const asked: [string, string][] = [
    ["a.example", "/p"],
    ["b.example:8080", "/p"],
    ["a.example", "/q?x=1"],
    ["a.example", "/q?x=1"],
    ["c.example", "/p"],
  ];
  for (const [host, target] of asked) {
    assertEquals(
      (await askOnce(rig.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nX-C: c\r\n\r\n`))
        .endsWith("\r\n\r\nok"),
      true,
    );
  }
  assertEquals(
    rig.heads,
    asked.map(([host, target]) =>
      `GET ${target} HTTP/1.1\r\nhost: ${host}\r\nx-c: c\r\nx-forwarded-for: 127.0.0.1\r\n` +
      `x-forwarded-proto: http\r\nx-forwarded-host: ${host}\r\nx-obs: caf\xe9\r\nx-empty: \r\n` +
      `x-long: ${long}\r\n\r\n`
    ),
  );
});

Deno.test("request head bytes: a head written on a new connection, after the client's buffer was read into again", async () => {
  await using rig = startByteRig([OK], [{ path: "/" }], { afterFields: scribble });
  await askOnce(rig.port, TRICKY);
  assertEquals(rig.heads, [TRICKY_SENT]);
});

Deno.test("request head bytes: a stale pooled connection's retry sends the head written first, not the reused buffer", async () => {
  let seen = 0;
  // The second head comes on the kept connection, which closes unanswered: the retry takes a new one.
  await using rig = startByteRig(() => ++seen === 2 ? null : OK, [{ path: "/" }], {
    afterFields: scribble,
  });
  await askOnce(rig.port, TRICKY);
  const second = TRICKY.replace("X-A: 1", "X-A: second");
  assertEquals((await askOnce(rig.port, second)).endsWith("\r\n\r\nok"), true);
  const secondSent = TRICKY_SENT.replace("x-a: 1", "x-a: second");
  assertEquals(rig.heads, [TRICKY_SENT, secondSent, secondSent]);
});
