/**
 * Run by `listener_nodelay.test.ts` under chosen permissions: binds a TLS
 * listener the way every HTTPS port does (`listenTlsWithSni`) and prints, as
 * one JSON line, whether the connection it accepted has `TCP_NODELAY` and what
 * the listener logged.
 * @module
 */
import { createLogger } from "../../src/log/logger.ts";
import { portNoDelay } from "../../src/dataplane/listener_nodelay.ts";
import { listenTlsWithSni } from "../../src/dataplane/tls_server.ts";

const [cert, key] = [Deno.args[0], Deno.args[1]];
const lines: string[] = [];
const log = createLogger({ format: "json", write: (line) => lines.push(line) });
const listener = listenTlsWithSni({
  hostname: "127.0.0.1",
  port: 0,
  reusePort: false,
  keyPair: { cert: await Deno.readTextFile(cert), key: await Deno.readTextFile(key) },
  resolve: () => undefined,
  log,
});
const port = (listener.addr as Deno.NetAddr).port;
// The TCP accept is enough: the handshake is not what sets the option.
const client = await Deno.connect({ hostname: "127.0.0.1", port });
const accepted = await listener.accept();
await Deno.stdout.write(
  new TextEncoder().encode(
    `${JSON.stringify({ accepted: portNoDelay(port)?.accepted ?? null, logs: lines })}\n`,
  ),
);
accepted.close();
client.close();
listener.close();
