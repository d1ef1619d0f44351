/**
 * A backend that stops reading a request body: the pooled clients' writes
 * wait at most the send timeout for the backend to take another byte. Before
 * any response the call fails with a timeout (the handler's 504); after the
 * response head, the backend connection is closed and the response body
 * ends in an error. Real sockets; the bound is a small setting, and the
 * test waits for the outcome, never for time.
 */
import { assert, assertEquals, assertInstanceOf, assertMatch, assertRejects } from "@std/assert";
import http2 from "node:http2";
import { libcNet } from "../../src/dataplane/libc_net.ts";
import { createH2Client } from "../../src/dataplane/upstream_h2.ts";
import { createHttp1Client } from "../../src/dataplane/upstream_http1.ts";
import { UpstreamError, type UpstreamRequest } from "../../src/dataplane/upstream_types.ts";
import { createTestCa } from "../_helpers/certs.ts";
import { startH2Backend } from "../_helpers/h2_backend.ts";
import { endlessBody, startStallingBackend } from "./_stalling_backend.ts";

const STALL_MS = 200;

/** What {@linkcode within} fails with. */
class NoOutcome extends Error {}

/** `settled`, or a failure far past any healthy run's outcome (a write that waits for ever). */
async function within<T>(settled: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const never = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new NoOutcome("No outcome within 30 s")), 30_000)
  );
  try {
    return await Promise.race([settled, never]);
  } finally {
    clearTimeout(timer);
  }
}

function upload(): UpstreamRequest {
  return {
    method: "POST",
    target: "/upload",
    headers: ["host", "backend.example.com"],
    body: endlessBody(),
    contentLength: null,
  };
}

for (const sockets of ["deno", "libc"] as const) {
  const ignore = sockets === "libc" && "problem" in libcNet();

  Deno.test({
    name:
      `HTTP/1.1 on ${sockets} sockets: a backend that stops reading the body before answering fails the call with a timeout and loses its connection`,
    ignore,
    fn: async () => {
      await using backend = startStallingBackend("silent");
      const client = createHttp1Client({ sendTimeoutMs: STALL_MS, sockets });
      try {
        const ep = { address: "127.0.0.1", port: backend.port };
        const error = await assertRejects(
          () => within(client.request(ep, upload(), { timeoutMs: 0 })),
          UpstreamError,
        );
        assertEquals((error as UpstreamError).kind, "timeout");
        assertMatch((error as Error).message, /took no request bytes for 200 ms/);
        backend.resume();
        await backend.closed;
      } finally {
        client.close();
      }
    },
  });

  Deno.test({
    name:
      `HTTP/1.1 on ${sockets} sockets: a backend that stops reading the body after its response head loses its connection, and the response body fails`,
    ignore,
    fn: async () => {
      await using backend = startStallingBackend("answers");
      const client = createHttp1Client({ sendTimeoutMs: STALL_MS, sockets });
      try {
        const ep = { address: "127.0.0.1", port: backend.port };
        const res = await within(client.request(ep, upload(), { timeoutMs: 0 }));
        assertEquals(res.status, 200);
        assertInstanceOf(res.body, ReadableStream);
        const reader = res.body.getReader();
        assertEquals(new TextDecoder().decode((await reader.read()).value), "hello\n");
        // The connection closed under the body's read.
        const error = await assertRejects(() => within(reader.read()));
        assert(!(error instanceof NoOutcome), "the response body still streams");
        backend.resume();
        await backend.closed;
      } finally {
        client.close();
      }
    },
  });
}

Deno.test("HTTP/1.1 over TLS: a backend that stops reading the body before answering fails the call with a timeout", async () => {
  await using ca = await createTestCa();
  const leaf = await ca.issue(["backend.example.com"]);
  await using backend = startStallingBackend("silent", leaf);
  const client = createHttp1Client({ sendTimeoutMs: STALL_MS });
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    const tls = {
      policy: "backendtlspolicy/app/p",
      serverName: "backend.example.com",
      caCertificates: [ca.certPem],
    };
    const error = await assertRejects(
      () => within(client.request(ep, upload(), { timeoutMs: 0, tls })),
      UpstreamError,
    );
    assertEquals((error as UpstreamError).kind, "timeout");
    backend.resume();
    await backend.closed;
  } finally {
    client.close();
  }
});

Deno.test("HTTP/2: a backend whose flow control takes no more of the body before answering fails the call with a timeout and gets CANCEL", async () => {
  const reset = Promise.withResolvers<number>();
  // The backend never reads the stream: its window is never opened again.
  await using backend = await startH2Backend((stream) => {
    stream.pause();
    stream.on("close", () => reset.resolve(stream.rstCode));
  });
  const client = createH2Client({ sendTimeoutMs: STALL_MS });
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    const error = await assertRejects(
      () => within(client.request(ep, upload(), { timeoutMs: 0 })),
      UpstreamError,
    );
    assertEquals((error as UpstreamError).kind, "timeout");
    assertMatch((error as Error).message, /took no request bytes for 200 ms/);
    assertEquals(await reset.promise, http2.constants.NGHTTP2_CANCEL);
  } finally {
    client.close();
  }
});

Deno.test("HTTP/2: a backend that answered, then took no more of the body, gets CANCEL and the response body fails", async () => {
  const reset = Promise.withResolvers<number>();
  await using backend = await startH2Backend((stream) => {
    stream.pause();
    stream.on("close", () => reset.resolve(stream.rstCode));
    stream.respond({ ":status": 200 });
    stream.write("hello\n");
  });
  const client = createH2Client({ sendTimeoutMs: STALL_MS });
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    const res = await within(client.request(ep, upload(), { timeoutMs: 0 }));
    assertEquals(res.status, 200);
    assertInstanceOf(res.body, ReadableStream);
    const reader = res.body.getReader();
    assertEquals(new TextDecoder().decode((await reader.read()).value), "hello\n");
    const error = await assertRejects(() => within(reader.read()));
    assert(!(error instanceof NoOutcome), "the response body still streams");
    assertEquals(await reset.promise, http2.constants.NGHTTP2_CANCEL);
  } finally {
    client.close();
  }
});
