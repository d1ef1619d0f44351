/**
 * A TLS-terminating front for the fake API server (`noDelayTls`): the same
 * down/up as {@link ./tcp_front.ts}, but TLS ends here, on sockets with
 * `TCP_NODELAY`, and plain bytes go on to the inner server (HTTP/2 with prior
 * knowledge, or HTTP/1.1 as the client's ALPN chose). `Deno.serve` over TLS
 * leaves Nagle's algorithm on, and a Deno client delays its ACKs: a watch
 * event written just after a small answer (a status write's) then waits for
 * that ACK, up to 40 ms, which a propagation benchmark would count against the
 * gateway. A real API server (Go) sets `TCP_NODELAY`; `node:tls` can too.
 * @module
 */
import net from "node:net";
import tls from "node:tls";

/** A running front; `up()` listens again on the same port. */
export interface TlsFront {
  readonly port: number;
  down(): void;
  up(): Promise<void>;
  readonly isUp: boolean;
}

/** Terminates TLS on 127.0.0.1:`port` (0: a free one), forwarding to 127.0.0.1:`targetPort`. */
export async function startTlsFront(
  targetPort: number,
  pem: { certPem: string; keyPem: string },
  port = 0,
): Promise<TlsFront> {
  let server: tls.Server | undefined;
  const sockets = new Set<net.Socket>();
  let boundPort = port;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on("error", () => s.destroy());
    s.on("close", () => sockets.delete(s));
  };
  const accept = (client: tls.TLSSocket) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  };
  const front: TlsFront = {
    get port() {
      return boundPort;
    },
    get isUp() {
      return server !== undefined;
    },
    async up() {
      if (server) return;
      const s = tls.createServer(
        { cert: pem.certPem, key: pem.keyPem, ALPNProtocols: ["h2", "http/1.1"] },
        accept,
      );
      s.on("tlsClientError", () => {});
      server = s;
      await new Promise<void>((resolve) => s.listen(boundPort, "127.0.0.1", () => resolve()));
      boundPort = (s.address() as net.AddressInfo).port;
    },
    down() {
      server?.close();
      server = undefined;
      for (const s of [...sockets]) s.destroy();
      sockets.clear();
    },
  };
  await front.up();
  return front;
}
