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
 * that mixes validating listeners with others keeps the relay, and a port
 * whose every listener validates takes `client-handshake`: the same public
 * server asking every handshake for a certificate and verifying it against
 * the CA bundle of the listener its SNI selects. A listening `node:tls`
 * server verifies what it asks for (unlike a socket wrapped around a relayed
 * stream, `tls_client_auth.ts`), so such a port needs neither the relay
 * nor the loopback server of each listener (measured on kept-alive
 * HTTP/1.1: see `bench/tls_bench.ts`, client-cert).
 * @module
 */
import type { PortConfig } from "../model/config.ts";
import type { ClientCertificateDemand, SniSource } from "./tls_port_types.ts";

/**
 * `first-request` (no relay) for a port of one listener without client
 * certificate validation; `handshake` for several such listeners;
 * `client-handshake` when every listener validates client certificates;
 * `client-hello` when some do and others do not.
 *
 * @example
 * ```ts
 * import { sniSourceFor } from "./tls_sni_choice.ts";
 * sniSourceFor({ port: 443, protocol: "HTTPS", listeners: [] }); // "first-request"
 * ```
 */
export function sniSourceFor(port: PortConfig): SniSource {
  const listeners = port.listeners;
  const validating = listeners.filter((l) => l.tls?.clientValidation !== undefined).length;
  if (validating > 0) return validating === listeners.length ? "client-handshake" : "client-hello";
  return listeners.length > 1 ? "handshake" : "first-request";
}

/**
 * How a `client-handshake` port asks for client certificates: `required`
 * when every listener is `AllowValidOnly` (a handshake without a
 * certificate that verifies fails, as on a listener's own server), else
 * `requested` (the handshake completes; refused clients of `AllowValidOnly`
 * listeners are closed after it). `undefined` for other ports.
 *
 * @example
 * ```ts
 * import { clientCertificateDemand } from "./tls_sni_choice.ts";
 * clientCertificateDemand({ port: 443, protocol: "HTTPS", listeners: [] }); // undefined
 * ```
 */
export function clientCertificateDemand(port: PortConfig): ClientCertificateDemand | undefined {
  if (sniSourceFor(port) !== "client-handshake") return undefined;
  const strict = port.listeners.every((l) => l.tls?.clientValidation?.mode === "AllowValidOnly");
  return strict ? "required" : "requested";
}
