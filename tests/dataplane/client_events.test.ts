import { assertEquals } from "@std/assert";
import { DEFAULT_REQUEST_POLICY } from "../../src/dataplane/request_policy.ts";
import { backend } from "./_config.ts";
import { abortUploads, rawRequest, startProxy } from "./_proxy.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("requests the policy answers 400 are reported by reason", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy(
    [{ path: "/", backends: [backend("echo", [echo.port])] }],
    { ...DEFAULT_REQUEST_POLICY, underscoreHeaders: "reject", escapedSlashes: "reject" },
  );
  const heads = [
    "GET /x HTTP/1.1",
    "GET /x HTTP/1.1\r\nHost: a\r\nX_Internal: 1",
    "GET /public/..;/admin HTTP/1.1\r\nHost: a",
    "GET /public/..%2Fadmin HTTP/1.1\r\nHost: a",
  ];
  for (const head of heads) assertEquals((await rawRequest(proxy.port, head)).status, 400, head);
  assertEquals(proxy.clientEvents, [
    "policy_rejected:missing_host",
    "policy_rejected:underscore_header",
    "policy_rejected:invalid_path",
    "policy_rejected:escaped_slash",
  ]);
  assertEquals((await rawRequest(proxy.port, "GET /x HTTP/1.1\r\nHost: a")).status, 200);
  assertEquals(proxy.clientEvents.length, 4);
});

/** An h2c backend that reads the whole body, then answers 200. */
function startH2cBackend(): { port: number; server: Deno.HttpServer } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer().catch(() => {});
    return new Response("ok");
  });
  return { port: server.addr.port, server };
}

Deno.test("a client that aborts its upload to an h2c backend is a 499, not a 502", async () => {
  const h2c = startH2cBackend();
  try {
    await using proxy = await startProxy([{
      path: "/",
      backends: [{ ...backend("h2c", [h2c.port]), protocol: "h2c" }],
    }]);
    // The route works: a whole body is forwarded over h2c.
    const ok = await rawRequest(
      proxy.port,
      "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3",
      "abc",
    );
    assertEquals(ok.status, 200);
    await abortUploads(proxy.port);
    await waitFor("both aborted uploads answered", () => proxy.statuses.length >= 3);
    assertEquals(proxy.statuses, [200, 499, 499]);
    assertEquals(proxy.upstreamErrors, []);
  } finally {
    await h2c.server.shutdown();
  }
});
