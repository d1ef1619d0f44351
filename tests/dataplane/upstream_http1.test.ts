import { assertEquals, assertRejects } from "@std/assert";
import { createHttp1Client } from "../../src/dataplane/upstream_http1.ts";
import { UpstreamError, type UpstreamRequest } from "../../src/dataplane/upstream_types.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { startHangingBackend } from "../_helpers/hanging_backend.ts";

function get(target: string): UpstreamRequest {
  return { method: "GET", target, headers: ["host", "a"], body: null, contentLength: null };
}

async function text(body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<string> {
  return await new Response(body as BodyInit | null).text();
}

Deno.test("a reused connection closed by the upstream before answering is retried once on a fresh one", async () => {
  await using echo = startEchoBackend({ dropAfterRequests: 1 });
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: echo.port };
    const first = await client.request(ep, get("/1"), { timeoutMs: 2000 });
    assertEquals(JSON.parse(await text(first.body)).target, "/1");
    const second = await client.request(ep, get("/2"), { timeoutMs: 2000 });
    assertEquals(JSON.parse(await text(second.body)).target, "/2");
    assertEquals(client.stats().retriesTotal, 1);
    assertEquals(echo.connections(), 2);
  } finally {
    client.close();
  }
});

Deno.test("a streamed request body is not replayed: a dead reused connection is a 502-kind error", async () => {
  await using echo = startEchoBackend({ dropAfterRequests: 1 });
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: echo.port };
    await text((await client.request(ep, get("/1"), { timeoutMs: 2000 })).body);
    const body = ReadableStream.from([new TextEncoder().encode("streamed")]);
    const error = await assertRejects(
      () =>
        client.request(ep, {
          method: "POST",
          target: "/2",
          headers: ["host", "a"],
          body,
          contentLength: null,
        }, {
          timeoutMs: 2000,
        }),
      UpstreamError,
    );
    assertEquals((error as UpstreamError).kind, "reset");
    assertEquals(client.stats().retriesTotal, 0);
  } finally {
    client.close();
  }
});

Deno.test("idle connections are kept up to the limit and closed after the idle timeout", async () => {
  await using echo = startEchoBackend();
  const client = createHttp1Client({ maxIdlePerEndpoint: 2, idleTimeoutMs: 100 });
  try {
    const ep = { address: "127.0.0.1", port: echo.port };
    const slow = (i: number) =>
      client.request(ep, { ...get(`/${i}`), headers: ["host", "a", "x-echo-delay", "50"] }, {
        timeoutMs: 2000,
      })
        .then((r) => text(r.body));
    await Promise.all([slow(1), slow(2), slow(3), slow(4)]);
    assertEquals(echo.connections(), 4);
    assertEquals(client.stats().idle, 2);
    await waitFor("the idle connections closed", () => client.stats().idle === 0);
  } finally {
    client.close();
  }
});

Deno.test("by default, 256 idle connections are kept per endpoint", async () => {
  await using echo = startEchoBackend();
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: echo.port };
    const held = { ...get("/"), headers: ["host", "a", "x-echo-action", "hold"] };
    const calls = Array.from(
      { length: 260 },
      () => client.request(ep, held, { timeoutMs: 30_000 }).then((r) => text(r.body)),
    );
    // Every request has its own connection before any is answered.
    await waitFor("260 requests held", () => echo.held() === 260);
    echo.release();
    await Promise.all(calls);
    assertEquals(echo.connections(), 260);
    assertEquals(client.stats().idle, 256);
  } finally {
    client.close();
  }
});

Deno.test("a response head over the size limit is a protocol error", async () => {
  await using echo = startEchoBackend();
  const client = createHttp1Client();
  try {
    const big = "v".repeat(70 * 1024);
    const error = await assertRejects(
      () =>
        client.request(
          { address: "127.0.0.1", port: echo.port },
          { ...get("/big"), headers: ["host", "a", "x-echo-header-x-big", big] },
          { timeoutMs: 2000 },
        ),
      UpstreamError,
    );
    assertEquals((error as UpstreamError).kind, "protocol");
  } finally {
    client.close();
  }
});

Deno.test("requests of several sizes on one kept-alive connection each arrive as sent", async () => {
  await using echo = startEchoBackend();
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: echo.port };
    const cases = [
      { value: "x".repeat(3000), body: "first body" },
      { value: "short", body: "" },
      { value: "y".repeat(9000), body: "b".repeat(20_000) },
      { value: "z", body: "last" },
    ];
    for (const { value, body } of cases) {
      const bytes = new TextEncoder().encode(body);
      const res = await client.request(ep, {
        method: body === "" ? "GET" : "POST",
        target: "/size",
        headers: ["host", "a", "x-size", value],
        body: body === "" ? null : ReadableStream.from([bytes]),
        contentLength: body === "" ? null : bytes.length,
      }, { timeoutMs: 2000 });
      const seen = JSON.parse(await text(res.body));
      assertEquals(seen.headers.find(([n]: string[]) => n === "x-size")?.[1], value);
      assertEquals(seen.body, body);
    }
    assertEquals(client.stats().connectsTotal, 1);
  } finally {
    client.close();
  }
});

Deno.test("a kept-alive connection is reused after a body of each framing", async () => {
  await using echo = startEchoBackend();
  const client = createHttp1Client();
  try {
    const ep = { address: "127.0.0.1", port: echo.port };
    const shapes = [
      { method: "GET", headers: [], length: null },
      { method: "GET", headers: ["x-echo-size", "100000"], length: 100_000 },
      { method: "GET", headers: ["x-echo-chunked", "1", "x-echo-chunk-size", "7"], length: null },
      { method: "HEAD", headers: [], length: null },
      { method: "GET", headers: ["x-echo-status", "204"], length: null },
      { method: "GET", headers: ["x-echo-size", "10"], length: null },
    ];
    for (const shape of shapes) {
      const res = await client.request(ep, {
        ...get("/framing"),
        method: shape.method,
        headers: ["host", "a", ...shape.headers],
      }, { timeoutMs: 2000 });
      await text(res.body);
      if (shape.length !== null) assertEquals(res.contentLength, shape.length);
    }
    assertEquals(client.stats().connectsTotal, 1);
    assertEquals(echo.connections(), 1);
  } finally {
    client.close();
  }
});

Deno.test("the response-head deadline counts from the request's startedAt when it has one", async () => {
  const backend = startHangingBackend();
  const client = createHttp1Client();
  let plain: Promise<unknown> = Promise.resolve();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    let plainSettled = false;
    plain = client.request(ep, get("/plain"), { timeoutMs: 5_000 }).catch(() => {}).finally(
      () => plainSettled = true,
    );
    await backend.received("/plain");
    // Begun a minute ago with a minute's deadline: due at the deadline timer's next pass.
    const early = { ...get("/early"), startedAt: performance.now() - 60_000 };
    const error = await assertRejects(
      () => client.request(ep, early, { timeoutMs: 60_000 }),
      UpstreamError,
    );
    assertEquals((error as UpstreamError).kind, "timeout");
    assertEquals(plainSettled, false, "the request without startedAt, due in 5 s, still waits");
  } finally {
    // The backend's close ends the request still waiting.
    await backend[Symbol.asyncDispose]();
    await plain.catch(() => {});
    client.close();
  }
});
