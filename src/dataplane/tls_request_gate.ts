/**
 * What an HTTPS port decides per request before its handler runs: which
 * listener the connection belongs to (its SNI when the front door saw it,
 * else its first request's Host), 421 for a request another listener of the
 * port serves (`sni_misdirected.ts`), 421 for a validating listener's host
 * on a connection that skipped client-certificate validation, and the real
 * client address of a relayed connection (its socket only shows loopback).
 *
 * One gate per connection, asked once per request with the request's host.
 * It reads nothing but the host and the connection info, so the same
 * decision serves whichever form of a request the engine built (`Request`,
 * or the own HTTP/1.1 server's parsed head); asking twice for one request
 * gives the same answer.
 * @module
 */
import type { RouteTable } from "../router/router.ts";
import {
  checkMisdirected,
  type ConnectionBinding,
  misdirectedResponse,
} from "./sni_misdirected.ts";
import type { FrontDoorOrigin } from "./tls_front_door.ts";
import { deliversTrailers, type TrailerDelivery } from "./response_trailers.ts";

/** What a gate needs from its port, read per connection or per request. */
export interface TlsRequestGateOptions {
  /** The public port (table lookups). */
  port: number;
  /** The pool address of the port (`PortConfig.address`); absent: shared. */
  address?: string;
  /** The current table; `undefined`: no check. */
  getTable: () => RouteTable | undefined;
  /** Whether the connection passed client-certificate validation (decrypted elsewhere). */
  authenticated: boolean;
  /** The origin of a relayed connection, by the relay's local port (the connection's remote port). */
  origin: (remotePort: number) => FrontDoorOrigin | undefined;
  /** The listener a server name selects, by id. */
  listenerOf: (serverName: string) => string | undefined;
}

/** Per request: the 421 to answer, or the info the handler gets (the real client address). */
export type TlsRequestGate = (
  hostname: string,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Deno.ServeHandlerInfo<Deno.NetAddr>;

/**
 * The gate of one connection.
 *
 * @example
 * ```ts
 * import { tlsRequestGate } from "./tls_request_gate.ts";
 * import { requestHostname } from "./sni_misdirected.ts";
 * declare const request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>;
 * const gate = tlsRequestGate({
 *   port: 443,
 *   getTable: () => undefined,
 *   authenticated: false,
 *   origin: () => undefined,
 *   listenerOf: () => undefined,
 * });
 * const verdict = gate(requestHostname(request), info); // a 421 Response, or the handler's info
 * ```
 */
export function tlsRequestGate(options: TlsRequestGateOptions): TlsRequestGate {
  const binding: ConnectionBinding = {};
  let clientAddr: Deno.NetAddr | undefined;
  let first = true;
  let unknown = false;
  // The last host let through and the table it was checked against: with
  // both unchanged (the rule on a kept-alive connection) the check cannot
  // answer differently, so it is skipped.
  let passedTable: RouteTable | undefined;
  let passedHost: string | undefined;
  return (hostname, info) => {
    if (first) {
      first = false;
      // The relay registered the origin before it sent the ClientHello, so
      // it is known by the time a request arrives. Unknown: a local process
      // dialled the loopback listener directly; the first Host decides.
      const origin = options.origin(info.remoteAddr.port);
      if (origin !== undefined) {
        clientAddr = origin.remoteAddr;
        binding.listenerId = options.listenerOf(origin.serverName);
      }
      // A decrypted connection nobody vouches for did no TLS at all.
      unknown = options.authenticated && origin === undefined;
    }
    if (unknown) return misdirectedResponse();
    const table = options.getTable();
    if (table !== undefined && (table !== passedTable || hostname !== passedHost)) {
      const verdict = checkMisdirected(table, options.port, binding, hostname, options.address);
      if (verdict.misdirected) return misdirectedResponse();
      // A listener that validates client certificates serves only
      // connections that went through that validation.
      if (!options.authenticated && verdict.listener?.tls?.clientValidation) {
        return misdirectedResponse();
      }
      passedTable = table;
      passedHost = hostname;
    }
    if (clientAddr === undefined) return info;
    // The server's word on trailers goes with the real address.
    const relayed: Deno.ServeHandlerInfo<Deno.NetAddr> & TrailerDelivery = {
      remoteAddr: clientAddr,
      completed: info.completed,
      trailers: deliversTrailers(info),
    };
    return relayed;
  };
}
