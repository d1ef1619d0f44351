/**
 * Our HTTP/2 server with the port's fast path (`h2/h2_fast.ts`): a GET or
 * HEAD that ended its stream is handed over as parsed fields, a backend's
 * response is written as it came (bytes, a stream, trailers), a declined
 * request takes the `Request` path, and what would be malformed there is
 * malformed here too.
 */
import { assert, assertEquals } from "@std/assert";
import { ErrorCode, Flag, FrameType } from "../../../src/dataplane/h2/h2_frames.ts";
import {
  type FastAnswer,
  type IncomingRequest,
  PendingAnswer,
} from "../../../src/dataplane/field_headers.ts";
import type { UpstreamResponse } from "../../../src/dataplane/upstream_types.ts";
import { errorCodeOf, RawH2Client, requestFields } from "../../_helpers/h2_raw_client.ts";
import { startH2Server } from "./_h2_test_server.ts";

const text = (s: string) => new TextEncoder().encode(s);

const upstream = (body: UpstreamResponse["body"], more: Partial<UpstreamResponse> = {}) => ({
  status: 200,
  headers: [["x-from", "backend"]] as [string, string][],
  body,
  contentLength: null,
  ...more,
});

class Answer extends PendingAnswer {
  constructor(readonly upstream: Promise<UpstreamResponse>) {
    super();
  }
  done(res: UpstreamResponse): FastAnswer {
    return res;
  }
  failed(error: unknown): FastAnswer {
    return new Response(`failed: ${(error as Error).message}`, { status: 502 });
  }
}

Deno.test("h2 fast path: a GET is answered from its fields, the backend's bytes as they came", async () => {
  const seen: IncomingRequest[] = [];
  let handled = 0;
  await using server = startH2Server({
    handler: () => {
      handled++;
      return new Response("request path");
    },
    fields: (request, info) => {
      seen.push(request);
      assert((info as { trailers?: boolean }).trailers, "HTTP/2 always delivers trailers");
      return upstream(text("from the backend\n"), {
        headers: [["x-from", "backend"], ["connection", "close"]],
      });
    },
  });
  const client = await RawH2Client.connect(server.port);
  const extra: [string, string][] = [["cookie", "a=1"], ["x-b", "2"], ["cookie", "b=2"]];
  await client.send(client.headers(1, requestFields("/p?q=1", "GET", extra)));
  const res = await client.response(1);
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("x-from"), "backend");
  assertEquals(res.headers.get("connection"), null, "connection-specific fields are dropped");
  assertEquals(res.headers.get("content-length"), "17");
  assert(res.headers.get("date")?.endsWith(" GMT"), "a date is added");
  assertEquals(await res.text(), "from the backend\n");
  assertEquals(handled, 0);
  assertEquals(seen.length, 1);
  assertEquals(seen[0].method, "GET");
  assertEquals(seen[0].url, "http://example.com/p?q=1");
  assertEquals(seen[0].target, "/p?q=1");
  assertEquals(seen[0].body, null);
  assertEquals(seen[0].headers.get("cookie"), "a=1; b=2");
  assertEquals(seen[0].headers.get("X-B"), "2");
  client.close();
});

Deno.test("h2 fast path: a request it declines, and one with a body, take the Request path", async () => {
  const methods: string[] = [];
  await using server = startH2Server({
    handler: async (request) => new Response(`${request.method} ${await request.text()}`),
    fields: (request) => {
      methods.push(request.method);
      return request.url.endsWith("/fast") ? upstream(text("fast")) : undefined;
    },
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/slow")));
  assertEquals(await (await client.response(1)).text(), "GET ");
  await client.send(client.headers(3, requestFields("/fast", "POST"), false));
  await client.send(client.frame(FrameType.DATA, Flag.END_STREAM, 3, text("body")));
  assertEquals(await (await client.response(3)).text(), "POST body");
  await client.send(client.headers(5, requestFields("/fast")));
  assertEquals(await (await client.response(5)).text(), "fast");
  assertEquals(methods, ["GET", "GET"], "a POST never reaches the fast path");
  client.close();
});

Deno.test("h2 fast path: a streamed body and its trailers, a pending answer, a failed backend", async () => {
  await using server = startH2Server({
    fields: (request) => {
      if (request.url.endsWith("/stream")) {
        return upstream(ReadableStream.from([text("a"), text("b")]), {
          trailers: Promise.resolve([["grpc-status", "0"], ["content-length", "9"]]),
        });
      }
      if (request.url.endsWith("/later")) return new Answer(Promise.resolve(upstream(null)));
      return new Answer(Promise.reject(new Error("refused")));
    },
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/stream")));
  const streamed = await client.response(1);
  assertEquals(await streamed.text(), "ab");
  assertEquals(streamed.trailers, [["grpc-status", "0"]], "framing fields are no trailers");
  await client.send(client.headers(3, requestFields("/later")));
  const later = await client.response(3);
  assertEquals([later.status, later.headers.get("x-from")], [200, "backend"]);
  await client.send(client.headers(5, requestFields("/fail")));
  const failed = await client.response(5);
  assertEquals([failed.status, await failed.text()], [502, "failed: refused"]);
  client.close();
});

Deno.test("h2 fast path: a HEAD gets the head alone, its backend's stream cancelled", async () => {
  let cancelled = false;
  await using server = startH2Server({
    fields: () =>
      upstream(
        new ReadableStream({ cancel: () => void (cancelled = true) }),
        { contentLength: 5 },
      ),
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields("/", "HEAD")));
  const f = await client.until((f) => f.streamId === 1);
  assertEquals(f?.type, FrameType.HEADERS);
  assert((f!.flags & Flag.END_STREAM) !== 0, "one HEADERS frame ends the stream");
  assert(client.decode(f!).some(([n, v]) => n === "content-length" && v === "5"));
  assert(cancelled);
  client.close();
});

Deno.test("h2 fast path: an authority no URL can hold is a PROTOCOL_ERROR, as without it", async () => {
  let asked = 0;
  const fields = () => {
    asked++;
    return upstream(text("fast"));
  };
  await using server = startH2Server({ fields });
  const client = await RawH2Client.connect(server.port);
  const bad = requestFields().map(([n, v]) => [n, n === ":authority" ? "exa mple.com" : v]) as [
    string,
    string,
  ][];
  await client.send(client.headers(1, bad));
  const f = await client.until((f) => f.streamId === 1);
  assertEquals(f?.type, FrameType.RST_STREAM);
  assertEquals(errorCodeOf(f!), ErrorCode.PROTOCOL_ERROR);
  await client.send(client.headers(3, requestFields()));
  assertEquals(await (await client.response(3)).text(), "fast");
  assertEquals(asked, 1);
  client.close();
});

Deno.test("h2 fast path: a fast path that throws is answered by onError", async () => {
  await using server = startH2Server({
    fields: () => {
      throw new Error("broken rule");
    },
    onError: (error) => new Response(`onError: ${(error as Error).message}`, { status: 500 }),
  });
  const client = await RawH2Client.connect(server.port);
  await client.send(client.headers(1, requestFields()));
  const res = await client.response(1);
  assertEquals([res.status, await res.text()], [500, "onError: broken rule"]);
  client.close();
});

Deno.test("h2 fast path: answers of other statuses, lengths and dates in turn each get their own :status, content-length and date", async () => {
  const answers: UpstreamResponse[] = [
    upstream(text("one\n"), { contentLength: 4 }),
    upstream(text("second\n"), {
      status: 201,
      headers: [["date", "Tue, 01 Dec 2026 00:00:00 GMT"]],
    }),
    upstream(text("one\n")),
    upstream(null, { status: 404, contentLength: 0 }),
    upstream(text("third one\n"), { status: 201 }),
  ];
  let next = 0;
  await using server = startH2Server({
    handler: () => new Response("request path"),
    fields: () => answers[next++],
  });
  const client = await RawH2Client.connect(server.port);
  const seen: [number, string | null, string | null, string][] = [];
  for (let i = 0; i < answers.length; i++) {
    const id = 1 + 2 * i;
    await client.send(client.headers(id, requestFields("/", "GET")));
    const res = await client.response(id);
    const date = res.headers.get("date");
    seen.push([res.status, res.headers.get("content-length"), date, await res.text()]);
    if (i !== 1) assert(date?.endsWith(" GMT") && date !== answers[1].headers[0][1], date ?? "");
  }
  assertEquals(seen.map(([status, length, , body]) => [status, length, body]), [
    [200, "4", "one\n"],
    [201, "7", "second\n"],
    [200, "4", "one\n"],
    [404, "0", ""],
    [201, "10", "third one\n"],
  ]);
  assertEquals(seen[1][2], "Tue, 01 Dec 2026 00:00:00 GMT");
  client.close();
});
