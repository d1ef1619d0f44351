/**
 * Our HTTP/1.1 server's socket tests again, with the server's side on
 * libc's sockets (`libc_listener.ts`, `libc_socket.ts`): keep-alive,
 * pipelining, bodies, closing, the refused heads, h2c by prior knowledge,
 * trailers and the fast path, as `Deno.listen` serves them. The clients
 * stay on Deno's sockets.
 */
import { assert } from "@std/assert";
import { LibcListener } from "../../src/dataplane/libc_listener.ts";
import { libcReactor } from "../../src/dataplane/libc_reactor.ts";
import { listenLoopback, serveOnLibc } from "./h1/_h1_harness.ts";

serveOnLibc();
await import("./h1/h1_connection.test.ts");
await import("./h1/h1_trailers.test.ts");
await import("./h1/fast_path_equivalence.test.ts");

Deno.test({
  name: "the tests above listen on libc's sockets",
  ignore: "problem" in libcReactor(),
  fn: () => {
    const listener = listenLoopback();
    try {
      assert(listener instanceof LibcListener);
    } finally {
      listener.close();
    }
  },
});
