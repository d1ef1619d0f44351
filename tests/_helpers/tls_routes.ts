/**
 * TLS pieces shared by the TLSRoute tests (unit, e2e and fuzz): an HTTPS
 * backend on loopback, and the config of a TLS listener with one route.
 * @module
 */
import type { ListenerConfig } from "../../src/model/config.ts";

/** An HTTPS server on loopback answering every request with its name. */
export function tlsBackend(
  name: string,
  cert: { certPem: string; keyPem: string },
): { server: Deno.HttpServer<Deno.NetAddr>; port: number } {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.certPem,
    key: cert.keyPem,
    onListen: () => {},
  }, () => new Response(name));
  return { server, port: server.addr.port };
}

/**
 * A TLS listener `name` of Gateway `default/gw` with one TLSRoute for
 * `routeHostname` to 127.0.0.1:`backendPort`; with a certificate it
 * terminates, without one it passes the connection through.
 */
export function tlsListenerConfig(
  name: string,
  hostname: string | null,
  routeHostname: string,
  backendPort: number,
  certificateId?: string,
): ListenerConfig {
  const id = `gateway/default/gw/listener/${name}`;
  return {
    id,
    ids: [id],
    hostname,
    port: 0,
    protocol: "TLS",
    virtualHosts: [],
    ...(certificateId === undefined ? {} : { tls: { certificateIds: [certificateId] } }),
    tlsHosts: [{
      hostname: routeHostname,
      route: `default/${name}`,
      rule: {
        id: `tlsroute/default/${name}/rule/0`,
        filters: [],
        invalidWeight: 0,
        backends: [{
          id: `service/default/${name}:80`,
          weight: 1,
          protocol: "tcp",
          endpoints: [{ address: "127.0.0.1", port: backendPort }],
          filters: [],
        }],
      },
    }],
  };
}
