/**
 * The pooled HTTP/1.1 client's tests again, with its connections to
 * backends on libc's sockets (`libc_socket.ts` `libcConnect`): keep-alive,
 * retries of dead reused connections, idle limits and timeouts, framings,
 * deadlines, lent bodies and trailers, as over `Deno.connect`.
 */
import { assert, assertEquals } from "@std/assert";
import { socketsWhenAbsent } from "../../src/dataplane/libc_sockets.ts";
import { libcReactor } from "../../src/dataplane/libc_reactor.ts";
import { createHttp1Client } from "../../src/dataplane/upstream_http1.ts";
import { UpstreamError } from "../../src/dataplane/upstream_types.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";

socketsWhenAbsent("libc");
await import("./upstream_http1.test.ts");
await import("./upstream_http1_split.test.ts");
await import("./upstream_http1_trailers.test.ts");
await import("./upstream_lent_body.test.ts");

const reactor = libcReactor();

Deno.test({
  name:
    "libc upstream: the pool's connections are libc's, kept alive, and gone from the epoll set at close",
  ignore: "problem" in reactor,
  fn: async () => {
    if ("problem" in reactor) return;
    await using echo = startEchoBackend();
    const client = createHttp1Client({ sockets: "libc" });
    const ep = { address: "127.0.0.1", port: echo.port };
    const get = {
      method: "GET",
      target: "/x",
      headers: ["host", "a"],
      body: null,
      contentLength: null,
    };
    try {
      for (let i = 0; i < 3; i++) {
        const res = await client.request(ep, get, { timeoutMs: 5000 });
        await new Response(res.body as BodyInit | null).text();
        assert(reactor.registered >= 1, "the parked connection is in the epoll set");
      }
      assertEquals(client.stats().connectsTotal, 1);
      assertEquals(echo.connections(), 1);
    } finally {
      client.close();
    }
    await reactor.idle();
    assertEquals(reactor.registered, 0);
  },
});

Deno.test({
  name: "libc upstream: a closed backend port is a connect error naming the cause",
  ignore: "problem" in reactor,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const client = createHttp1Client({ sockets: "libc" });
    try {
      const get = {
        method: "GET",
        target: "/",
        headers: ["host", "a"],
        body: null,
        contentLength: null,
      };
      const error = await client.request({ address: "127.0.0.1", port }, get, { timeoutMs: 5000 })
        .then(() => undefined, (e) => e);
      assert(error instanceof UpstreamError, String(error));
      assertEquals(error.kind, "connect");
      assert(error.cause instanceof Deno.errors.ConnectionRefused, String(error.cause));
    } finally {
      client.close();
    }
  },
});
