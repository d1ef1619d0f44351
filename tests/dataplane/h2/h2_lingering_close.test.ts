/**
 * How our HTTP/2 server ends a connection it ends itself: its last frames,
 * then its write side shut, then input read and dropped until the client
 * closes too. A close at once would make the kernel answer anything the
 * client sent meanwhile (a PING after its GOAWAY) with a reset, which can
 * reach the client before it read the server's last frames. The order of
 * the server's socket calls and the client's end of input is what is
 * checked, over a real loopback connection.
 */
import { assertEquals } from "@std/assert";
import { serveH2 } from "../../../src/dataplane/h2/h2_server.ts";
import {
  goawayFrame,
  pingFrame,
  PREFACE,
  settingsFrame,
} from "../../../src/dataplane/h2/h2_frames.ts";
import { tcpPair } from "../../_helpers/tcp_pair.ts";

/** `conn` with its `close` and `closeWrite` calls noted in `log`. */
function noted(conn: Deno.TcpConn, log: string[]): Deno.TcpConn {
  return new Proxy(conn, {
    get(target, name) {
      if (name === "close") return () => (log.push("server close"), target.close());
      if (name === "closeWrite") {
        return () => (log.push("server closeWrite"), target.closeWrite());
      }
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("h2 end: after the client's GOAWAY the server shuts its write side and closes only after the client did", async () => {
  const pair = await tcpPair();
  const log: string[] = [];
  const served = serveH2(noted(pair.server, log), new Uint8Array(0), {
    handler: () => new Response("ok"),
    onError: () => new Response("Internal error\n", { status: 500 }),
    scheme: "http",
  });
  try {
    await pair.client.write(PREFACE);
    await pair.client.write(settingsFrame([]));
    await pair.client.write(goawayFrame(0, 0x1f));
    const buffer = new Uint8Array(4096);
    while (await pair.client.read(buffer) !== null) {
      // The server's SETTINGS and its ACK of ours; then the end of its output.
    }
    log.push("client read the end");
    // Sent after the server's end of output: read and dropped, never answered with a reset.
    await pair.client.write(pingFrame(false, new Uint8Array(8)));
    pair.client.close();
    await served.finished;
    assertEquals(log, ["server closeWrite", "client read the end", "server close"]);
  } finally {
    pair.close();
  }
});
