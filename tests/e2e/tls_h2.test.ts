/**
 * HTTP/2 over TLS on an HTTPS port without GRPCRoutes, through the real
 * gateway process: with the default engine our HTTP/2 server serves it, so
 * an HTTP/1.1 backend's response trailers reach the client as an HTTP/2
 * trailer block (HTTP/2 trailers need no `TE`); with `--http1-engine deno`
 * Deno's engine serves it and cannot send trailers, so none arrive and the
 * backend is never asked for them.
 */
import { assertEquals } from "@std/assert";
import { createTestCa } from "../_helpers/certs.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startChunkedBackend } from "../_helpers/chunked_backend.ts";
import { h2Get } from "../_helpers/h2_get.ts";
import { classAndGatewayYaml, httpsListener } from "../../scripts/manifests.ts";
import { prefixRule, routeYaml, serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";

for (const engine of ["own", "deno"] as const) {
  Deno.test(`h2 over TLS on a port without GRPCRoutes, --http1-engine ${engine}: trailers ${engine === "own" ? "reach the client" : "are not sent"}`, async () => {
    await using ca = await createTestCa();
    const leaf = await ca.issue(["a.example"]);
    const backend = startChunkedBackend(false);
    const port = freePort();
    const dir = await Deno.makeTempDir({ prefix: "serval-tls-h2-" });
    try {
      await writeManifests(dir, {
        "gateway.yaml": classAndGatewayYaml("e2e", [httpsListener("https", port, "cert")]),
        "secret.yaml": tlsSecretYaml("cert", leaf.certPem, leaf.keyPem),
        "service.yaml": serviceYaml("a", backend.port),
        "route.yaml": routeYaml("a", ["a.example"], prefixRule("/", "a")),
      });
      await using _gateway = await startGateway({
        manifests: dir,
        args: ["--http1-engine", engine],
      });
      const got = await h2Get(port, { ca: ca.certPem });
      assertEquals([got.alpn, got.body], ["h2", "hello"]);
      assertEquals(got.trailers["x-checksum"], engine === "own" ? "abc" : undefined);
      assertEquals(backend.heads.length, 1);
      assertEquals(/\r\nte: *trailers/i.test(backend.heads[0]), engine === "own");
    } finally {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
