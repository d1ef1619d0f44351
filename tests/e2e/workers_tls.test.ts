/**
 * HTTPS through the real gateway process with `--workers 2`: fresh
 * connections, whichever worker the kernel hands them to, all verify against
 * the test CA with the certificate of their server name (an exact hostname
 * and a wildcard) and are routed; HTTP/2 works; `/metrics` in the main
 * isolate counts every request; a certificate replaced in the manifests is
 * served to new handshakes on every worker without a restart; SIGTERM exits 0.
 */
import { assert, assertEquals } from "@std/assert";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { createTestCa, type TestCertificate } from "../_helpers/certs.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import { curlHttps, peerCertificate } from "../dataplane/tls_test_client.ts";
import { classAndGatewayYaml, httpsListener } from "../../scripts/manifests.ts";
import { prefixRule, routeYaml, serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";

const EXACT = "app.example.com";
const WILDCARD = "*.wild.example.com";

function gatewayYaml(httpPort: number, httpsPort: number): string {
  return classAndGatewayYaml("e2e", [
    `{ name: http, protocol: HTTP, port: ${httpPort} }`,
    httpsListener("https-exact", httpsPort, "exact-cert", EXACT),
    httpsListener("https-wild", httpsPort, "wild-cert", `"${WILDCARD}"`),
  ]);
}

/** One curl transfer's outcome, from its body and `-w` line. */
interface Transfer {
  backend: string;
  status: number;
  /** Connections curl opened for this transfer (1 = a fresh one). */
  connects: number;
  httpVersion: string;
}

/**
 * Runs `urls` through one curl invocation with verification on and TLS
 * session reuse off, so every new connection is a full handshake that checks
 * the certificate against the CA and the URL's name.
 */
async function transfers(
  port: number,
  caFile: string,
  names: string[],
  urls: string[],
  extra: string[],
): Promise<Transfer[]> {
  const result = await curlHttps({
    port,
    caFile,
    names,
    args: [
      "--no-sessionid",
      ...extra,
      "-w",
      "\t%{http_code}\t%{num_connects}\t%{http_version}\n",
      ...urls,
    ],
  });
  assert(result.success, `curl failed: ${result.stderr}`);
  const lines = result.stdout.split("\n").filter((l) => l !== "");
  assertEquals(lines.length, urls.length, result.stdout);
  return lines.map((line) => {
    const [body, status, connects, httpVersion] = line.split("\t");
    return {
      backend: (JSON.parse(body) as EchoRecord).name,
      status: Number(status),
      connects: Number(connects),
      httpVersion,
    };
  });
}

function requestsCounted(metrics: string): number {
  let total = 0;
  for (const line of metrics.split("\n")) {
    if (line.startsWith("serval_http_requests_total{")) total += Number(line.split(" ").at(-1));
  }
  return total;
}

Deno.test("with --workers 2 every fresh HTTPS connection gets its server name's certificate and is routed, HTTP/2 works, /metrics counts every request, and a replaced certificate is served without restart", async () => {
  await using ca = await createTestCa();
  const caFile = `${ca.dir}/ca.crt`;
  await using exactBackend = startEchoBackend({ name: "exact" });
  await using wildBackend = startEchoBackend({ name: "wild" });
  const [httpPort, httpsPort] = freePorts(2);
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-workers-tls-" });
  const exactCert = await ca.issue([EXACT], { commonName: "exact-first" });
  const wildCert = await ca.issue([WILDCARD], { commonName: "wild-first" });
  const writeSecrets = (exact: TestCertificate) =>
    writeManifests(dir, {
      "secrets.yaml": tlsSecretYaml("exact-cert", exact.certPem, exact.keyPem) + "---\n" +
        tlsSecretYaml("wild-cert", wildCert.certPem, wildCert.keyPem),
    });
  await writeSecrets(exactCert);
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(httpPort, httpsPort),
    "services.yaml": serviceYaml("exact", exactBackend.port) + "---\n" +
      serviceYaml("wild", wildBackend.port),
    "routes.yaml": routeYaml("exact", [EXACT], prefixRule("/", "exact")) + "---\n" +
      routeYaml("wild", [WILDCARD], prefixRule("/", "wild")),
  });
  const gw = await startGateway({ manifests: dir, args: ["--workers", "2"] });
  let stopped = false;
  try {
    for (const worker of [0, 1]) {
      for (const port of [httpPort, httpsPort]) {
        await gw.waitForLog((r) =>
          r.msg === "listener bound" && r.port === port && r.worker === worker &&
          r.component === "dataplane"
        );
      }
    }

    // 1. Many fresh HTTP/1.1 connections, exact and wildcard names alternating.
    const names = [EXACT];
    const urls: string[] = [];
    for (let i = 0; i < 40; i++) {
      const name = i % 2 === 0 ? EXACT : `n${i}.wild.example.com`;
      if (name !== EXACT) names.push(name);
      urls.push(`https://${name}:${httpsPort}/x${i}`);
    }
    const fresh = await transfers(httpsPort, caFile, names, urls, [
      "--http1.1",
      "-H",
      "connection: close",
    ]);
    fresh.forEach((t, i) =>
      assertEquals(t, {
        backend: i % 2 === 0 ? "exact" : "wild",
        status: 200,
        connects: 1,
        httpVersion: "1.1",
      }, `transfer ${i}`)
    );
    assertEquals(exactBackend.requests() + wildBackend.requests(), 40);

    // 2. The certificate each name gets is its own (verified names alone
    // would accept a shared certificate carrying both).
    assertEquals(await peerCertificate(httpsPort, EXACT, caFile), {
      verified: true,
      commonName: "exact-first",
    });
    assertEquals(await peerCertificate(httpsPort, "z.wild.example.com", caFile), {
      verified: true,
      commonName: "wild-first",
    });

    // 3. HTTP/2, both names.
    const h2 = await transfers(
      httpsPort,
      caFile,
      [EXACT, "h2.wild.example.com"],
      [`https://${EXACT}:${httpsPort}/h2`, `https://h2.wild.example.com:${httpsPort}/h2`],
      ["--http2"],
    );
    assertEquals(h2.map((t) => [t.backend, t.status, t.httpVersion]), [
      ["exact", 200, "2"],
      ["wild", 200, "2"],
    ]);

    // 4. The HTTP listener on the same process routes both names too.
    for (const host of [EXACT, "plain.wild.example.com"]) {
      const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0, allowHost: true });
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/plain`, {
          client,
          headers: { host },
        });
        const record = await res.json() as EchoRecord;
        assertEquals([res.status, record.name], [200, host === EXACT ? "exact" : "wild"]);
      } finally {
        client.close();
      }
    }

    // 5. /metrics (main isolate) counts the requests both workers served.
    const total = 40 + 2 + 2;
    let counted = 0;
    const metricsDeadline = performance.now() + 60_000;
    while (counted < total && performance.now() < metricsDeadline) {
      await new Promise((r) => setTimeout(r, 100));
      counted = requestsCounted(await (await gw.admin("/metrics")).text());
    }
    assertEquals(counted, total);

    // 6. A replaced certificate reaches new handshakes without a restart, on
    // every worker: once one handshake sees it, all later ones must.
    const rotated = (worker: number) =>
      gw.logRecords().filter((r) => r.msg === "TLS certificates rotated" && r.worker === worker);
    const rotatedBefore = [rotated(0).length, rotated(1).length];
    const renewed = await ca.issue([EXACT], { commonName: "exact-renewed" });
    await writeSecrets(renewed);
    const deadline = performance.now() + 60_000;
    let seen: string | undefined;
    while (performance.now() < deadline) {
      seen = (await peerCertificate(httpsPort, EXACT, caFile)).commonName;
      if (seen === "exact-renewed") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(seen, "exact-renewed");
    // Workers apply a config one after the other: wait until both say so.
    for (const worker of [0, 1]) {
      const rotatedDeadline = performance.now() + 60_000;
      while (rotated(worker).length === rotatedBefore[worker]) {
        assert(performance.now() < rotatedDeadline, `worker ${worker} never rotated`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    for (let i = 0; i < 12; i++) {
      assertEquals(
        await peerCertificate(httpsPort, EXACT, caFile),
        { verified: true, commonName: "exact-renewed" },
        `handshake ${i} after renewal`,
      );
    }
    assertEquals(
      (await peerCertificate(httpsPort, "y.wild.example.com", caFile)).commonName,
      "wild-first",
    );
    assertEquals(gw.logRecords().filter((r) => r.msg === "listener bound").length, 4);

    const status = await gw.stop();
    stopped = true;
    assertEquals(status.code, 0);
    assert(gw.logRecords().some((r) => r.msg === "stopped"), "no clean stop in the log");
  } finally {
    if (!stopped) await gw.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
