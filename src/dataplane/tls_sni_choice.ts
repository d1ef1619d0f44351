/**
 * Which way an HTTPS port learns a connection's listener (`SniSource`,
 * `tls_port_server.ts`), chosen per port from its listeners.
 *
 * The ClientHello relay (`client-hello`) costs one loopback connection per
 * client connection and two extra socket reads and writes per exchange
 * (`bench/tls_bench.ts`: most of the gap to nginx on kept-alive
 * connections). It buys two things only: 421 decisions by the SNI when a
 * port has several listeners, and client-certificate validation
 * (`tls_client_auth.ts`). A port with one listener and no client
 * certificates needs neither: every connection belongs to that listener, so
 * binding it by its first request (`first-request`) decides every 421 the
 * same way, and Deno's TLS listener can be the public socket. Certificates
 * are still chosen per server name by the same resolver.
 *
 * Several listeners without client certificates take `handshake`: the
 * runtime's `node:tls` server is the public socket, picks the certificate by
 * SNI and reports each connection's SNI (`tls_handshake_door.ts`), so the
 * 421 decisions are the relay's without its loopback hop (measured on
 * kept-alive HTTP/1.1: see `bench/tls_bench.ts`, two listeners). Its
 * server asks every handshake or none for a client certificate, so a port
 * with a validating listener keeps the relay.
 * @module
 */
import type { PortConfig } from "../model/config.ts";
import type { SniSource } from "./tls_port_types.ts";

/**
 * `first-request` (no relay) for a port of one listener without client
 * certificate validation; `handshake` for several such listeners;
 * `client-hello` when a listener validates client certificates.
 *
 * @example
 * ```ts
 * import { sniSourceFor } from "./tls_sni_choice.ts";
 * sniSourceFor({ port: 443, protocol: "HTTPS", listeners: [] }); // "first-request"
 * ```
 */
export function sniSourceFor(port: PortConfig): SniSource {
  const listeners = port.listeners;
  if (listeners.some((l) => l.tls?.clientValidation !== undefined)) return "client-hello";
  return listeners.length > 1 ? "handshake" : "first-request";
}
