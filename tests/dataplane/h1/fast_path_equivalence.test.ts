/**
 * The own HTTP/1.1 server's fast path (`fields`: no Request, no Headers, a
 * backend's response written as it came) against its `Request`/`Response`
 * path, request by request: the same raw request goes through a server
 * with the fast path and one without, both over the same handler, and
 * what the backend received must be the same request, and what the client
 * received the same answer: request or status line, framing, body bytes,
 * and header fields. Where the spec leaves the order of different fields
 * free, they are compared sorted, repeated ones joined (`Set-Cookie` kept
 * apart), as a `Headers` reads them: the fast path passes the client's
 * field lines on in the order sent, a repeated one as its lines, where the
 * `Request` path sends what its `Headers` gives (`request_head_bytes.test.ts`
 * holds the fast path's exact bytes). `Date` is left out of answers (it
 * moves with the clock).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createDataPlaneHandlers } from "../../../src/dataplane/handler.ts";
import { withoutGrpc } from "../../../src/dataplane/grpc_status.ts";
import { NOOP_OBSERVER } from "../../../src/dataplane/observer.ts";
import {
  type FastAnswer,
  FieldHeaders,
  PendingAnswer,
} from "../../../src/dataplane/field_headers.ts";
import type { UpstreamResponse } from "../../../src/dataplane/upstream_types.ts";
import type { RequestPolicy } from "../../../src/dataplane/request_policy.ts";
import { DEFAULT_REQUEST_POLICY } from "../../../src/dataplane/request_policy.ts";
import { createProxyClient } from "../../../src/dataplane/upstream_client.ts";
import type { FilterConfig } from "../../../src/model/config.ts";
import { compileRouteTable } from "../../../src/router/compile_route_table.ts";
import { backend, testConfig, type TestRule } from "../_config.ts";
import { exchangeUntilClose, startH1 } from "./_h1_harness.ts";
import { startScriptedBackend } from "./_scripted_backend.ts";

const modifier = (set: [string, string][], add: [string, string][], remove: string[]) => ({
  set: set.map(([name, value]) => ({ name, value })),
  add: add.map(([name, value]) => ({ name, value })),
  remove,
});

function rules(backendPort: number): TestRule[] {
  const b = backend("scripted", [backendPort]);
  const filter = (f: FilterConfig): TestRule["filters"] => [f];
  return [
    { path: "/echo", backends: [b] },
    { path: "/chunked", backends: [b] },
    { path: "/trailers", backends: [b] },
    { path: "/multi", backends: [b] },
    { path: "/s204", backends: [b] },
    { path: "/s304", backends: [b] },
    { path: "/s404", backends: [b] },
    { path: "/headnolen", backends: [b] },
    { path: "/big", backends: [b] },
    { path: "/close", backends: [b] },
    { path: "/hang", backends: [b], timeouts: { request: 100 } },
    { path: "/noep", backends: [backend("empty", [])] },
    { path: "/nobackend" },
    {
      path: "/redirect",
      filters: filter({ type: "RequestRedirect", statusCode: 302, hostname: "b.example" }),
    },
    {
      path: "/mod",
      backends: [b],
      filters: [
        {
          type: "RequestHeaderModifier",
          modifier: modifier([["X-Set", "s"]], [["X-A", "added"]], ["x-gone"]),
        },
        {
          type: "ResponseHeaderModifier",
          modifier: modifier([["x-b", "changed"]], [["x-r", "1"]], []),
        },
      ],
    },
    {
      path: "/rewrite",
      backends: [b],
      filters: filter({
        type: "URLRewrite",
        hostname: "rewritten.example",
        path: { type: "ReplacePrefixMatch", value: "/echo/in" },
      }),
    },
    {
      path: "/cors",
      backends: [b],
      filters: filter({
        type: "CORS",
        allowOrigins: ["https://app.example"],
        allowCredentials: true,
        allowMethods: ["GET", "PUT"],
        allowHeaders: ["x-a"],
        exposeHeaders: ["x-b"],
        maxAge: 5,
      }),
    },
  ];
}

/** A pending answer whose settled answer `note` hears. */
class NotedAnswer extends PendingAnswer {
  readonly upstream: Promise<UpstreamResponse>;
  constructor(readonly inner: PendingAnswer, readonly note: (answer: FastAnswer) => void) {
    super();
    this.upstream = inner.upstream;
  }
  done(res: UpstreamResponse): FastAnswer {
    const answer = this.inner.done(res);
    this.note(answer);
    return answer;
  }
  failed(error: unknown): FastAnswer {
    const answer = this.inner.failed(error);
    this.note(answer);
    return answer;
  }
}

const H = "Host: a.example\r\n";
const C = "Connection: close\r\n";

/** Raw requests, each on its own connection, each closing it. */
const CASES: Record<string, string> = {
  "plain GET": `GET /echo HTTP/1.1\r\n${H}${C}\r\n`,
  "repeated headers": `GET /echo HTTP/1.1\r\n${H}X-A: 1\r\nx-a: 2\r\nX-B: 3\r\n${C}\r\n`,
  "hop-by-hop named in Connection": `GET /echo HTTP/1.1\r\n${H}Connection: close, x-secret\r\n` +
    `X-Secret: s\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: x\r\n\r\n`,
  "known fields named in Connection": `GET /echo HTTP/1.1\r\n${H}Connection: close, Accept, ` +
    `X-Secret\r\nAccept: */*\r\nX-Secret: s\r\nUser-Agent: u\r\nProxy-Connection: k\r\n\r\n`,
  "underscore header": `GET /echo HTTP/1.1\r\n${H}X_Under: 1\r\nX-Ok: 2\r\n${C}\r\n`,
  "client X-Forwarded-* and other address claims":
    `GET /echo HTTP/1.1\r\n${H}X-Forwarded-For: 1.2.3.4, 5.6.7.8\r\n` +
    `X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\nForwarded: for=1.1.1.1\r\n` +
    `X-Real-IP: 9.9.9.9\r\n${C}\r\n`,
  "Host with upper case and port": `GET /echo HTTP/1.1\r\nHost: A.Example:80\r\n${C}\r\n`,
  "Host with trailing dot": `GET /echo HTTP/1.1\r\nHost: a.example.\r\n${C}\r\n`,
  "Host missing": `GET /echo HTTP/1.1\r\n${C}\r\n`,
  "Host invalid": `GET /echo HTTP/1.1\r\nHost: a b\r\n${C}\r\n`,
  "absolute-form target": `GET http://b.example/echo?x=1 HTTP/1.1\r\n${H}${C}\r\n`,
  "HTTP/1.0 without Host": "GET /echo HTTP/1.0\r\n\r\n",
  "HTTP/1.0 keep-alive asked": `GET /echo HTTP/1.0\r\n${H}\r\n`,
  "escaped slash": `GET /echo%2Fx HTTP/1.1\r\n${H}${C}\r\n`,
  "escaped slash selecting another rule": `GET /echo%2F..%2Fmulti HTTP/1.1\r\n${H}${C}\r\n`,
  "dot segments": `GET /echo/../echo/x HTTP/1.1\r\n${H}${C}\r\n`,
  "double slash and query": `GET /echo//x?a=1&b=%20 HTTP/1.1\r\n${H}${C}\r\n`,
  "HEAD": `HEAD /echo HTTP/1.1\r\n${H}${C}\r\n`,
  "HEAD without upstream length": `HEAD /headnolen HTTP/1.1\r\n${H}${C}\r\n`,
  "HEAD of a big body": `HEAD /big HTTP/1.1\r\n${H}${C}\r\n`,
  "204": `GET /s204 HTTP/1.1\r\n${H}${C}\r\n`,
  "304": `GET /s304 HTTP/1.1\r\n${H}If-None-Match: "v1"\r\n${C}\r\n`,
  "upstream 404 passed on": `GET /s404 HTTP/1.1\r\n${H}${C}\r\n`,
  "chunked response": `GET /chunked HTTP/1.1\r\n${H}${C}\r\n`,
  "chunked response to HTTP/1.0": `GET /chunked HTTP/1.0\r\n${H}\r\n`,
  "unannounced trailers, TE: trailers": `GET /trailers HTTP/1.1\r\n${H}TE: trailers\r\n${C}\r\n`,
  "unannounced trailers, TE without trailers": `GET /trailers HTTP/1.1\r\n${H}TE: gzip\r\n${C}\r\n`,
  "unannounced trailers, HTTP/1.0 with TE": `GET /trailers HTTP/1.0\r\n${H}TE: trailers\r\n\r\n`,
  "repeated response fields and Date": `GET /multi HTTP/1.1\r\n${H}${C}\r\n`,
  "big streamed response": `GET /big HTTP/1.1\r\n${H}${C}\r\n`,
  "POST with Content-Length": `POST /echo HTTP/1.1\r\n${H}Content-Length: 5\r\n${C}\r\nhello`,
  "POST chunked": `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n${C}\r\n` +
    "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
  "POST with Expect": `POST /echo HTTP/1.1\r\n${H}Content-Length: 2\r\nExpect: 100-continue\r\n` +
    `${C}\r\nhi`,
  "GET with a body": `GET /echo HTTP/1.1\r\n${H}Content-Length: 2\r\n${C}\r\nhi`,
  "no route": `GET /nothing HTTP/1.1\r\n${H}${C}\r\n`,
  "upstream closes: 502": `GET /close HTTP/1.1\r\n${H}${C}\r\n`,
  "upstream never answers: 504": `GET /hang HTTP/1.1\r\n${H}${C}\r\n`,
  "no ready endpoint: 503": `GET /noep HTTP/1.1\r\n${H}${C}\r\n`,
  "no backend: 500": `GET /nobackend HTTP/1.1\r\n${H}${C}\r\n`,
  "redirect": `GET /redirect/x?y=1 HTTP/1.1\r\n${H}${C}\r\n`,
  "header modifiers both ways":
    `GET /mod HTTP/1.1\r\n${H}X-A: 1\r\nX-Gone: 1\r\nX-Set: c\r\n${C}\r\n`,
  "header modifiers on repeated fields": `GET /mod HTTP/1.1\r\n${H}X-A: 1\r\nx-gone: 1\r\n` +
    `x-a: 2\r\nX-Gone: 2\r\nX-Set: c\r\nX-SET: d\r\n${C}\r\n`,
  "path and host rewrite": `GET /rewrite/x?q=1 HTTP/1.1\r\n${H}${C}\r\n`,
  "CORS preflight": `OPTIONS /cors HTTP/1.1\r\n${H}Origin: https://app.example\r\n` +
    `Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: x-a\r\n${C}\r\n`,
  "CORS actual request": `GET /cors HTTP/1.1\r\n${H}Origin: https://app.example\r\n${C}\r\n`,
  "CORS from another origin": `GET /cors HTTP/1.1\r\n${H}Origin: https://other.example\r\n${C}\r\n`,
};

/** Cases whose backend answer goes out as it came (whatever the policy). */
const AS_IS = [
  "plain GET",
  "repeated headers",
  "hop-by-hop named in Connection",
  "known fields named in Connection",
  "client X-Forwarded-* and other address claims",
  "HEAD",
  "HEAD without upstream length",
  "HEAD of a big body",
  "204",
  "304",
  "upstream 404 passed on",
  "chunked response",
  "chunked response to HTTP/1.0",
  "unannounced trailers, TE without trailers",
  "unannounced trailers, HTTP/1.0 with TE",
  "repeated response fields and Date",
  "big streamed response",
  "POST chunked",
  "path and host rewrite",
  "CORS from another origin",
];

/** Cases answered with a `Response`: the gateway's own answers, and answers a rule changes. */
const NOT_AS_IS = [
  "Host missing",
  "unannounced trailers, TE: trailers",
  "no route",
  "upstream closes: 502",
  "upstream never answers: 504",
  "no ready endpoint: 503",
  "redirect",
  "header modifiers both ways",
  "header modifiers on repeated fields",
  "CORS preflight",
  "CORS actual request",
];

/**
 * The answer in `raw` as the spec fixes it: status line, framing, body,
 * fields sorted and joined. An interim (1xx) head is kept as a line of its
 * own and the final answer after it is read the same way (its `Date` too).
 */
function normalise(raw: string): string {
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd === -1) return `(no head) ${raw}`;
  const [statusLine, ...lines] = raw.slice(0, headEnd).split("\r\n");
  if (/^HTTP\/1\.1 1\d\d /.test(statusLine)) {
    return [statusLine, ...lines, "", normalise(raw.slice(headEnd + 4))].join("\n");
  }
  const fields = lines.map((l) => {
    const colon = l.indexOf(":");
    return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()] as [string, string];
  }).filter(([name]) => name !== "date");
  let body = raw.slice(headEnd + 4);
  if (fields.some(([n, v]) => n === "transfer-encoding" && v === "chunked")) body = dechunk(body);
  const joined: string[] = [];
  new FieldHeaders(fields).forEach((value, name) => joined.push(`${name}: ${value}`));
  return [statusLine, ...joined, "", body].join("\n");
}

/**
 * A request the backend received as the spec fixes it: request line, the
 * fields sorted and joined, the body bytes as they came.
 */
function normaliseRequest(raw: string): string {
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd === -1) return `(no head) ${raw}`;
  const [requestLine, ...lines] = raw.slice(0, headEnd).split("\r\n");
  const fields = lines.map((l) => {
    const colon = l.indexOf(":");
    return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()] as [string, string];
  });
  const joined: string[] = [];
  new FieldHeaders(fields).forEach((value, name) => joined.push(`${name}: ${value}`));
  return [requestLine, ...joined, "", raw.slice(headEnd + 4)].join("\n");
}

/** The payload of a chunked body (chunk sizes depend on read timing, not on the spec). */
function dechunk(body: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    const size = parseInt(body.slice(at, lineEnd), 16);
    if (!(size > 0)) return out + `(last chunk: ${JSON.stringify(body.slice(at))})`;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** Runs every case through both servers with `policy`; what differs, by case. */
async function differences(
  policy: RequestPolicy,
  rawFast: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  await using upstream = startScriptedBackend();
  // One server: the fast path declines when `fast` is false, so the request
  // takes the Request path on the same port (routing and the Host-less URL read it).
  let fast = true;
  const served = { fast: 0, asIs: new Set<string>() };
  let current = "";
  let handlers: ReturnType<typeof createDataPlaneHandlers> | undefined;
  await using server = startH1((req, info) => handlers!.handle(req, info), {
    fields: (req, info) => {
      const answer = fast ? withoutGrpc(handlers!.fields)(req, info) : undefined;
      if (answer === undefined) return answer;
      served.fast++;
      const name = current;
      const note = (a: FastAnswer) => a instanceof Response || served.asIs.add(name);
      if (answer instanceof PendingAnswer) return new NotedAnswer(answer, note);
      Promise.resolve(answer).then(note);
      return answer;
    },
  });
  const table = compileRouteTable(testConfig(server.port, rules(upstream.port)));
  const diff: Record<string, unknown> = {};
  for (const [name, request] of Object.entries(CASES)) {
    current = name;
    const seen: { backend: string[]; client: string }[] = [];
    for (const path of [true, false]) {
      // A fresh upstream pool each time: a reused connection may be retried, a new one not.
      const client = createProxyClient({});
      handlers = createDataPlaneHandlers({
        getTable: () => table,
        port: server.port,
        scheme: "http",
        upstream: client,
        policy,
      });
      fast = path;
      const before = upstream.received.length;
      try {
        const raw = await exchangeUntilClose(server.port, request);
        if (path) rawFast[name] = raw;
        seen.push({
          backend: upstream.received.slice(before).map(normaliseRequest),
          client: normalise(raw),
        });
      } finally {
        client.close();
      }
    }
    if (JSON.stringify(seen[0]) !== JSON.stringify(seen[1])) {
      diff[name] = { fast: seen[0], slow: seen[1] };
    }
  }
  // Every case took the fast path (none declined), and the backend's
  // answers went out as they came, except where a rule changes them.
  assertEquals(served.fast, Object.keys(CASES).length);
  assertEquals(AS_IS.filter((name) => !served.asIs.has(name)), []);
  assertEquals(NOT_AS_IS.filter((name) => served.asIs.has(name)), []);
  return diff;
}

Deno.test("fast path and Request path: the same bytes to the backend and the same answers, default policy", async () => {
  assertEquals(await differences(DEFAULT_REQUEST_POLICY), {});
});

Deno.test("fast path and Request path: the same with underscores allowed, one trusted XFF hop, escaped slashes redirected", async () => {
  assertEquals(
    await differences({
      underscoreHeaders: "allow",
      xffTrustedHops: 1,
      escapedSlashes: "redirect",
    }),
    {},
  );
});

Deno.test("fast path: repeated response fields go out as sent, a HEAD answer without length gets none, trailers only with TE", async () => {
  const raw: Record<string, string> = {};
  assertEquals(await differences(DEFAULT_REQUEST_POLICY, raw), {});
  const multi = raw["repeated response fields and Date"];
  assertStringIncludes(
    multi,
    "\r\nset-cookie: a=1\r\nx-m: 1\r\nset-cookie: b=2\r\nx-m: 2\r\nx-upper: Y\r\n",
  );
  assertStringIncludes(multi, "\r\ndate: Mon, 01 Jan 2024 00:00:00 GMT\r\n");
  const head = raw["HEAD without upstream length"].toLowerCase();
  assert(!head.includes("content-length") && !head.includes("transfer-encoding"), head);
  assertStringIncludes(raw["HEAD of a big body"], "\r\ncontent-length: 300000\r\n");
  // Trailers only to the client that took them, the framing field left out.
  assert(raw["unannounced trailers, TE: trailers"].endsWith("0\r\nx-sum: 1\r\n\r\n"));
  assert(raw["unannounced trailers, TE without trailers"].endsWith("5\r\nhello\r\n0\r\n\r\n"));
  assert(raw["unannounced trailers, HTTP/1.0 with TE"].endsWith("\r\n\r\nhello"));
});

Deno.test("fast path declines with the access log on, and for gRPC requests", () => {
  const info = {} as Deno.ServeHandlerInfo<Deno.NetAddr>;
  const request = (headers: [string, string][]) => ({
    method: "POST",
    url: "http://a.example/x",
    headers: new FieldHeaders(headers),
    body: null,
  });
  const logged = createDataPlaneHandlers({
    getTable: () => undefined,
    port: 80,
    scheme: "http",
    policy: { ...DEFAULT_REQUEST_POLICY, accessLog: true },
  });
  assertEquals(logged.fields(request([["host", "a.example"]]), info), undefined);
  const plain = createDataPlaneHandlers({ getTable: () => undefined, port: 80, scheme: "http" });
  const grpc = request([["host", "a.example"], ["content-type", "application/grpc"]]);
  assertEquals(withoutGrpc(plain.fields)(grpc, info), undefined);
});

Deno.test("fast path: a proxied GET is a pending answer, recorded once when settled; a DELETE is not", async () => {
  await using upstream = startScriptedBackend();
  const statuses: number[] = [];
  const table = compileRouteTable(testConfig(80, rules(upstream.port)));
  const client = createProxyClient({});
  const { fields } = createDataPlaneHandlers({
    getTable: () => table,
    port: 80,
    scheme: "http",
    upstream: client,
    observer: { ...NOOP_OBSERVER, onRequest: (r) => statuses.push(r.status) },
  });
  const info = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo<Deno.NetAddr>;
  const request = (method: string, path: string) => ({
    method,
    url: `http://a.example${path}`,
    headers: new FieldHeaders([["host", "a.example"]]),
    body: null,
  });
  try {
    const ok = fields(request("GET", "/echo"), info);
    assert(ok instanceof PendingAnswer);
    assertEquals(statuses, []);
    assertEquals(ok.done(await ok.upstream).status, 200);
    const failing = fields(request("GET", "/close"), info);
    assert(failing instanceof PendingAnswer);
    const failed = await failing.upstream.then((r) => failing.done(r), (e) => failing.failed(e));
    assertEquals(failed.status, 502);
    const other = fields(request("DELETE", "/echo"), info);
    assert(other instanceof Promise);
    assertEquals((await other).status, 200);
    assertEquals(statuses, [200, 502, 200]);
  } finally {
    client.close();
  }
});
