/**
 * The second half of the ClientHello fuzzer's oracle: a parsed server name
 * goes to a TLS port mixing Terminate and Passthrough listeners (exact,
 * wildcard and catch-all hostnames), and the listener the port's routes pick
 * (`tls_passthrough_routes.ts`) must be the one the Gateway API names: exact
 * hostname, else the wildcard with most labels, else the listener without
 * hostname; a name that differs only in case or a final dot is the same
 * host. When the pick terminates, the certificate choice (`sni.ts`) must
 * name the same listener, or the handshake would be answered with another
 * listener's certificate.
 * @module
 */
import type { CertificateConfig, ListenerConfig, PortConfig } from "../../src/model/config.ts";
import { compilePassthroughRoutes } from "../../src/dataplane/tls_passthrough_routes.ts";
import { sniCertificatesFor } from "../../src/dataplane/sni.ts";

function listener(hostname: string | null, certificate?: string): ListenerConfig {
  const id = `gateway/default/mixed/listener/${hostname ?? "any"}`;
  return {
    id,
    ids: [id],
    hostname,
    port: 8443,
    protocol: "TLS",
    virtualHosts: [],
    ...(certificate === undefined ? {} : { tls: { certificateIds: [certificate] } }),
    tlsHosts: [{
      hostname: hostname ?? "*",
      route: `default/${hostname ?? "any"}`,
      rule: { id: `${id}/rule`, filters: [], backends: [], invalidWeight: 0 },
    }],
  };
}

const PORT: PortConfig = {
  port: 8443,
  protocol: "TLS",
  listeners: [
    listener("a.example.com", "secret/default/a"),
    listener("tls.example.com", "secret/default/tls"),
    listener("*.b.example.com", "secret/default/b"),
    listener("*.example.com"),
    listener("shop.example.com"),
    listener(null),
  ],
};

const CERTIFICATES: CertificateConfig[] = ["a", "tls", "b"].map((name) => ({
  id: `secret/default/${name}`,
  certPem: `cert ${name}`,
  keyPem: `key ${name}`,
  dnsNames: [],
  notAfter: "",
}));

const routes = compilePassthroughRoutes(PORT);
const certificates = sniCertificatesFor(PORT, CERTIFICATES);

/** The listener the Gateway API gives `serverName` on {@linkcode PORT}. */
function expectedListener(serverName: string): string {
  const name = serverName.toLowerCase().replace(/\.$/, "");
  const exact = PORT.listeners.find((l) => l.hostname === name);
  if (exact !== undefined) return exact.id;
  const wildcards = PORT.listeners
    .filter((l) => l.hostname?.startsWith("*.") && name.endsWith(l.hostname.slice(1)))
    .filter((l) => name.length > l.hostname!.length - 1)
    .sort((x, y) => y.hostname!.split(".").length - x.hostname!.split(".").length);
  return (wildcards[0] ?? PORT.listeners.find((l) => l.hostname === null)!).id;
}

/** What is wrong with the port's choice for `serverName`, or `undefined`. */
export function mixedPortFailure(serverName: string): string | undefined {
  const target = routes.find(serverName);
  const expected = expectedListener(serverName);
  if (target?.listener !== expected) {
    return `server name ${JSON.stringify(serverName)} went to ${target?.listener}, not ${expected}`;
  }
  if (!target.terminate) return undefined;
  const entry = certificates.entryFor(serverName);
  if (entry?.listenerId !== target.listener || certificates.resolve(serverName) === undefined) {
    return `server name ${JSON.stringify(serverName)} is terminated by ${target.listener} ` +
      `with the certificate of ${entry?.listenerId}`;
  }
  return undefined;
}
