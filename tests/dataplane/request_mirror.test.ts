import { assertEquals } from "@std/assert";
import { RequestMirrors } from "../../src/dataplane/request_mirror.ts";
import { createBackendPicker } from "../../src/dataplane/backend_picker.ts";
import type { ProxyClient } from "../../src/dataplane/upstream_client.ts";
import type { UpstreamRequest, UpstreamResponse } from "../../src/dataplane/upstream_types.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { MirrorConfig } from "../../src/model/config.ts";

function mirrorTo(id: string, numerator = 100, denominator = 100): MirrorConfig {
  return {
    type: "RequestMirror",
    backend: {
      id,
      weight: 1,
      protocol: "http",
      endpoints: [{ address: "127.0.0.1", port: 1 }],
      filters: [],
    },
    fraction: { numerator, denominator },
  };
}

/** An upstream that records copies and answers each once the test resolves it. */
function fakeUpstream() {
  const sent: { request: UpstreamRequest; body: string | null; answer: () => void }[] = [];
  const client: ProxyClient = {
    async request(_protocol, _endpoint, request) {
      const body = request.body === null ? null : await new Response(request.body).text();
      return await new Promise<UpstreamResponse>((resolve) =>
        sent.push({
          request,
          body,
          answer: () => resolve({ status: 200, headers: [], body: null, contentLength: null }),
        })
      );
    },
    stats: () => ({}) as ReturnType<ProxyClient["stats"]>,
    close() {},
  };
  return { client, sent };
}

function setup(random: () => number, limits = { maxInFlight: 2, maxBodyBytes: 8 }) {
  const upstream = fakeUpstream();
  const counted: string[] = [];
  const mirrors = new RequestMirrors({
    upstream: upstream.client,
    picker: createBackendPicker(),
    observer: {
      onRequest() {},
      onUpstreamError: (b, k) => counted.push(`${b}:${k}`),
      onClientEvent() {},
    },
    logger: silentLogger,
    limits,
    random,
  });
  return { mirrors, upstream, counted };
}

const REQUEST: UpstreamRequest = {
  method: "GET",
  target: "/x",
  headers: ["host", "a"],
  body: null,
  contentLength: null,
};

Deno.test("each mirror is drawn by its own fraction", () => {
  let r = 0.3;
  const { mirrors } = setup(() => r);
  const quarter = mirrorTo("q", 25, 100);
  const half = mirrorTo("h", 25, 50);
  const never = mirrorTo("n", 0, 1);
  assertEquals(mirrors.choose([quarter, half, never]).map((m) => m.backend.id), ["h"]);
  r = 0.2;
  assertEquals(mirrors.choose([quarter, half, never]).map((m) => m.backend.id), ["q", "h"]);
  r = 0.99;
  assertEquals(mirrors.choose([mirrorTo("all")]).map((m) => m.backend.id), ["all"]);
});

Deno.test("copies beyond maxInFlight are dropped and counted, and the slots come back", async () => {
  const { mirrors, upstream, counted } = setup(() => 0);
  const m = mirrorTo("m");
  for (let i = 0; i < 3; i++) mirrors.start([m], REQUEST, 1000);
  assertEquals(upstream.sent.length, 2);
  assertEquals(counted, ["m:mirror_dropped"]);
  for (const s of upstream.sent) s.answer();
  while (mirrors.inFlight > 0) await Promise.resolve();
  mirrors.start([m], REQUEST, 1000);
  assertEquals(upstream.sent.length, 3);
});

Deno.test("a body within maxBodyBytes is copied; a larger or unknown-length one is not", async () => {
  const { mirrors, upstream, counted } = setup(() => 0);
  const m = mirrorTo("m");
  const withBody = (text: string, contentLength: number | null): UpstreamRequest => ({
    ...REQUEST,
    method: "POST",
    body: new Blob([text]).stream(),
    contentLength,
  });
  const primary = mirrors.start([m], withBody("hello", 5), 1000);
  assertEquals(await new Response(primary).text(), "hello");
  while (upstream.sent.length === 0) await new Promise((r) => setTimeout(r, 0));
  assertEquals(upstream.sent[0].body, "hello");
  const big = mirrors.start([m], withBody("0123456789", 10), 1000);
  assertEquals(await new Response(big).text(), "0123456789");
  mirrors.start([m], withBody("x", null), 1000);
  assertEquals(counted, ["m:mirror_dropped", "m:mirror_dropped"]);
  upstream.sent[0].answer();
});

Deno.test("a client body that fails is not counted against the mirror's backend", async () => {
  const { mirrors, upstream, counted } = setup(() => 0);
  const failing = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("he"));
      controller.error(new Error("client went away"));
    },
  });
  const primary = mirrors.start(
    [mirrorTo("m")],
    { ...REQUEST, method: "POST", body: failing, contentLength: 5 },
    1000,
  );
  await new Response(primary).text().then(() => {}, () => {});
  // The copy fails in promise jobs alone; a few macrotask turns let them all run.
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
  assertEquals(upstream.sent.length, 0);
  assertEquals(counted, []);
});
