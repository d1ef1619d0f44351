/**
 * Child process of `tls_sni_bench.ts`: one HTTPS port served by
 * `serveTlsPort` in the SNI mode given, answering every request with a fixed
 * body (no proxying), so the run measures TLS, the relay and the HTTP engine.
 * Mode `deno-serve` is the baseline without our port server: `Deno.serve`
 * with the one certificate (`bench/tls_gap_bench.ts`).
 *
 * ```sh
 * deno run -A bench/_tls_sni_server.ts <client-hello|first-request|deno-serve> <port> <cert.pem> <key.pem>
 * ```
 * @module
 */
import { sniCertificatesFor } from "../src/dataplane/sni.ts";
import { serveTlsPort } from "../src/dataplane/tls_port_server.ts";
import type { SniSource } from "../src/dataplane/tls_port_types.ts";

const [mode, port, certFile, keyFile] = Deno.args;
const certPem = await Deno.readTextFile(certFile);
const keyPem = await Deno.readTextFile(keyFile);
const hello = () => new Response("hello from the bench server\n");
if (mode === "deno-serve") {
  const served = Deno.serve(
    { hostname: "127.0.0.1", port: Number(port), cert: certPem, key: keyPem, onListen() {} },
    hello,
  );
  Deno.addSignalListener("SIGTERM", async () => {
    await served.shutdown();
    Deno.exit(0);
  });
  await new Promise(() => {});
}
const id = "gateway/bench/gw/listener/https";
const certificates = sniCertificatesFor(
  {
    port: Number(port),
    protocol: "HTTPS",
    listeners: [{
      id,
      ids: [id],
      hostname: null,
      port: Number(port),
      protocol: "HTTPS",
      tls: { certificateIds: ["secret/bench/tls"] },
      virtualHosts: [],
    }],
  },
  [{ id: "secret/bench/tls", certPem, keyPem, dnsNames: [], notAfter: "2099-01-01T00:00:00Z" }],
);
const server = serveTlsPort({
  hostname: "127.0.0.1",
  port: Number(port),
  certificates,
  getTable: () => undefined,
  handler: hello,
  sniSource: mode as SniSource,
});
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
