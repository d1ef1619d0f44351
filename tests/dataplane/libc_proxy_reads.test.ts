/**
 * The recv calls a proxied request costs on libc's sockets: our HTTP/1.1
 * server on a libc listener, the data plane's handler, its pooled client's
 * backend connections on libc's sockets, a backend on Deno's sockets in
 * this isolate, and a client sending requests one after the other on one
 * kept-alive connection. Each request is read once from the client and
 * its answer once from the backend; a read made just after a send (the
 * backend's answer, the client's next request) waits for the epoll set's
 * report instead of a recv that fails with `EAGAIN`. The counts are of
 * calls, not of time; the bounds leave room for the few reports that come
 * for bytes taken already (a connection's first ones).
 */
import { assert, assertEquals } from "@std/assert";
import { createDataPlaneHandlers } from "../../src/dataplane/handler.ts";
import { withoutGrpc } from "../../src/dataplane/grpc_status.ts";
import { createProxyClient } from "../../src/dataplane/upstream_client.ts";
import { libcReactor } from "../../src/dataplane/libc_reactor.ts";
import { EAGAIN, libcNet } from "../../src/dataplane/libc_net.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { backend, testConfig } from "./_config.ts";
import { bytesOf, readUntil, serveOnLibc, startH1 } from "./h1/_h1_harness.ts";
import { startScriptedBackend } from "./h1/_scripted_backend.ts";

serveOnLibc();

const REQUESTS = 40;

Deno.test({
  name:
    "libc proxy: a kept-alive proxied request costs one recv from the client and one from the backend, none finding nothing",
  ignore: "problem" in libcReactor(),
  fn: async () => {
    const net = libcNet();
    if ("problem" in net) return;
    await using upstream = startScriptedBackend();
    const client = createProxyClient({});
    // The handlers need the port the server got.
    const served: { handlers?: ReturnType<typeof createDataPlaneHandlers> } = {};
    await using server = startH1((req, info) => served.handlers!.handle(req, info), {
      fields: (req, info) => withoutGrpc(served.handlers!.fields)(req, info),
    });
    const table = compileRouteTable(
      testConfig(server.port, [{ path: "/", backends: [backend("b", [upstream.port])] }]),
    );
    served.handlers = createDataPlaneHandlers({
      getTable: () => table,
      port: server.port,
      scheme: "http",
      upstream: client,
    });
    const c = net.c as { recv: typeof net.c.recv };
    const original = c.recv;
    let calls = 0;
    let eagain = 0;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      // The first request opens the backend connection; the counted ones reuse it.
      await conn.write(bytesOf("GET /first HTTP/1.1\r\nHost: a.example\r\n\r\n"));
      await readUntil(conn, "ok\n");
      c.recv = (fd, buf, len, flags) => {
        calls++;
        const n = original(fd, buf, len, flags);
        if (n < 0 && net.errno() === EAGAIN) eagain++;
        return n;
      };
      for (let i = 0; i < REQUESTS; i++) {
        await conn.write(bytesOf(`GET /r${i} HTTP/1.1\r\nHost: a.example\r\n\r\n`));
        const answer = await readUntil(conn, "ok\n");
        assert(answer.startsWith("HTTP/1.1 200 "), answer);
      }
    } finally {
      c.recv = original;
      conn.close();
      client.close();
    }
    assertEquals(upstream.received.length, REQUESTS + 1);
    // Reads that found nothing: two a request before (80 here), a handful at most now.
    assert(eagain <= REQUESTS / 8, `${eagain} recv calls of ${calls} found nothing`);
    assert(calls <= 2 * REQUESTS + REQUESTS / 8, `${calls} recv calls for ${REQUESTS} requests`);
  },
});
