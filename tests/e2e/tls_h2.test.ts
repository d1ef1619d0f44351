/**
 * HTTP/2 over TLS on an HTTPS port without GRPCRoutes, through the real
 * gateway process: with the default engine our HTTP/2 server serves it, so
 * an HTTP/1.1 backend's response trailers reach the client as an HTTP/2
 * trailer block (HTTP/2 trailers need no `TE`); with `--http1-engine deno`
 * Deno's engine serves it and cannot send trailers, so none arrive and the
 * backend is never asked for them.
 */
import { assertEquals } from "@std/assert";
import http2 from "node:http2";
import { createTestCa } from "../_helpers/certs.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startChunkedBackend } from "../_helpers/chunked_backend.ts";
import { classAndGatewayYaml, httpsListener } from "../../scripts/manifests.ts";
import { prefixRule, routeYaml, serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";

/** One GET over h2 with TLS (SNI `a.example`): the body, the trailers and the protocol. */
function h2Get(port: number, ca: string) {
  return new Promise<{ body: string; trailers: http2.IncomingHttpHeaders; alpn: string }>(
    (resolve, reject) => {
      // Dialled at loopback by address: no name lookup leaves the machine.
      const session = http2.connect(`https://127.0.0.1:${port}`, {
        servername: "a.example",
        ca,
      });
      session.on("error", reject);
      const req = session.request({ ":path": "/", ":authority": "a.example" });
      let body = "";
      let trailers: http2.IncomingHttpHeaders = {};
      req.setEncoding("utf8");
      req.on("data", (d: string) => body += d);
      req.on("trailers", (t) => trailers = t);
      req.on("end", () => {
        const alpn = String(session.alpnProtocol);
        session.close();
        resolve({ body, trailers, alpn });
      });
      req.on("error", reject);
      req.end();
    },
  );
}

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
      const got = await h2Get(port, ca.certPem);
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
