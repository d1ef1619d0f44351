/**
 * The HTTP/1.1 side of a cleartext port that mixes GRPCRoutes with other
 * routes: a connection that did not open with the HTTP/2 preface has had
 * its first bytes read already, and Deno's engine cannot be handed those.
 * So it is relayed, those bytes first, to the engine on a loopback listener
 * exactly as a port that passes upgrades relays its connections
 * (`upgrade_diversion.ts`): the handler sees the client's address, and an
 * upgrade request is tunnelled the same way when the gateway passes
 * upgrades through (with `--upgrades off` the diversion relays it to the
 * engine as a plain request).
 * @module
 */
import type { EngineRelay } from "./grpc_port.ts";
import { prefixedConn } from "./prefixed_conn.ts";
import { closeQuietly } from "./tcp_relay.ts";
import type { UpgradeDiversion } from "./upgrade_diversion.ts";

/**
 * The relay of a mixed port over `diversion()` (called at the first relayed
 * connection). A relayed connection ends when its client or the engine ends
 * it: the port drains and shuts down the diversion's engine alongside its
 * own listener.
 *
 * @example
 * ```ts
 * import { engineRelay } from "./mixed_port_relay.ts";
 * import { UpgradeDiversion } from "./upgrade_diversion.ts";
 * declare const diversion: UpgradeDiversion;
 * const relay = engineRelay(() => diversion);
 * ```
 */
export function engineRelay(diversion: () => UpgradeDiversion): EngineRelay {
  return (conn, first, handler) => {
    let closed = false;
    const finished = diversion()
      .serve(prefixedConn(conn, first), handler, conn.remoteAddr as Deno.NetAddr)
      .then(() => {
        closed = true;
      });
    return {
      finished,
      get closed() {
        return closed;
      },
      shutdown: () => finished,
      close: () => closeQuietly(conn),
    };
  };
}
