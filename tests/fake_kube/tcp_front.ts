/**
 * A TCP forwarder in front of the fake API server, so "the API server is down"
 * can be real: the listening socket closes (connection refused) and every open
 * connection is cut, which a graceful HTTP server shutdown does not do to
 * HTTP/2 clients. `up()` listens again on the same port.
 * @module
 */

/** A running forwarder. */
export interface TcpFront {
  readonly port: number;
  /** Closes the listener and cuts every forwarded connection. */
  down(): void;
  /** Listens again on the same port. */
  up(): void;
  readonly isUp: boolean;
}

/** Forwards 127.0.0.1:`port` (0: any free port) to 127.0.0.1:`targetPort`. */
export function startTcpFront(targetPort: number, port = 0): TcpFront {
  let listener: Deno.TcpListener | undefined;
  const conns = new Set<Deno.Conn>();
  let boundPort = port;

  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable);
    } catch {
      // Either side went away; the other is closed below.
    }
    for (const c of [from, to]) {
      if (conns.delete(c)) {
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
    }
  };

  const accept = async (l: Deno.TcpListener) => {
    try {
      for await (const client of l) {
        let upstream: Deno.TcpConn;
        try {
          upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
        } catch {
          client.close();
          continue;
        }
        if (listener !== l) {
          // down() ran while this connection waited for its upstream: it belongs
          // to the outage, so cut it instead of forwarding it past down().
          client.close();
          upstream.close();
          continue;
        }
        // Small writes (one watch event each) go out at once, as from a real
        // API server (Go sets TCP_NODELAY): with Nagle's algorithm on, an
        // event written while the last one waits for its delayed ACK was
        // held up to 40 ms, which benchmarks counted as propagation.
        client.setNoDelay(true);
        upstream.setNoDelay(true);
        conns.add(client);
        conns.add(upstream);
        pipe(client, upstream);
        pipe(upstream, client);
      }
    } catch {
      // The listener was closed by down().
    }
  };

  const front: TcpFront = {
    get port() {
      return boundPort;
    },
    get isUp() {
      return listener !== undefined;
    },
    up() {
      if (listener) return;
      listener = Deno.listen({ hostname: "127.0.0.1", port: boundPort });
      boundPort = listener.addr.port;
      accept(listener);
    },
    down() {
      listener?.close();
      listener = undefined;
      for (const c of [...conns]) {
        conns.delete(c);
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
    },
  };
  front.up();
  return front;
}
