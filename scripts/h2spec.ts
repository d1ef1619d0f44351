/**
 * `deno task h2spec`: HTTP/2 conformance of the gateway's own HTTP/2 server,
 * refereed by h2spec (github.com/summerwind/h2spec). It builds h2spec once
 * into `${XDG_CACHE_HOME:-$HOME/.cache}/serval-h2spec` (Go module proxy,
 * versions pinned below), starts the real gateway from this checkout on
 * loopback with a files-source config, and runs every h2spec case (the
 * `generic`, `http2` and `hpack` sections, strict cases included) against
 * each target:
 *
 * - `h2c-mixed`: a cleartext port with a GRPCRoute and an HTTPRoute, HTTP/2
 *   by prior knowledge (what a gRPC client does);
 * - `h2c-grpc`: a cleartext port with only a GRPCRoute;
 * - `tls`: an HTTPS port with a GRPCRoute and an HTTPRoute, `h2` by ALPN;
 * - `tls-http`: an HTTPS port with only an HTTPRoute, `h2` by ALPN: the
 *   same server (every HTTPS port's `h2` is ours), its GET streams through
 *   the port's fast path (`h2/h2_fast.ts`).
 *
 * h2spec sends plain GET and POST requests (authority 127.0.0.1), not gRPC.
 * On the mixed and HTTPS ports the HTTPRoute takes them to the tests' echo
 * backend (the GRPCRoute there has a hostname of its own); on the gRPC-only
 * port they go to the GRPCRoute's backend over h2c, which the HTTP/1.1 echo
 * backend answers with a 502 at once. Several stream-state cases send more
 * frames after a request that may already be answered: the server keeps
 * such a stream half-closed (local) and holds those frames to the stream
 * rules (RFC 9113 §5.1, §8.1), so every target sees them whatever the
 * timing. The run exits 1 on any failed case not on {@linkcode ALLOWED} for
 * its target.
 * Flags: `--keep` leaves the JUnit reports in the printed temporary folder.
 * @module
 */
// deno-lint-ignore-file no-console
import {
  classAndGatewayYaml,
  httpsListener,
  loopbackServiceYaml,
  tlsSecretYaml,
} from "./manifests.ts";
import { createTestCa } from "../tests/_helpers/certs.ts";
import { startEchoBackend } from "../tests/_helpers/echo_backend.ts";
import { freePorts, startGateway } from "../tests/_helpers/gateway_process.ts";
import { type AllowedFailure, judge, parseJunit } from "./h2spec/results.ts";

/** h2spec and its dependencies, pinned (h2spec has no go.mod; its newer tags are not on the proxy). */
const GO_MOD = `module serval.dev/h2spec-tool

go 1.26

require (
	github.com/fatih/color v1.19.0
	github.com/spf13/cobra v1.10.2
	github.com/summerwind/h2spec v2.2.1+incompatible
	golang.org/x/net v0.62.0
)
`;

/**
 * Failures that cannot pass on a target, each with its reason. Anything
 * else that fails, fails the run.
 */
export const ALLOWED: readonly AllowedFailure[] = [
  {
    targets: ["h2c-mixed", "h2c-grpc"],
    id: "http2/3.5: Sends invalid connection preface",
    reason: "A cleartext port has no ALPN: a connection is HTTP/2 only if it opens with the " +
      "preface. One that does not is HTTP/1.1 to the port (Deno's engine on a mixed port, a " +
      "short 505 on a gRPC-only one), answered in HTTP/1.1 and closed, which h2spec reads as a " +
      "malformed frame. Over TLS (ALPN h2) the same case passes.",
  },
];

const log = (line: string) => console.error(`[h2spec] ${line}`);

async function run(cmd: string, args: string[], options: Deno.CommandOptions = {}) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...options })
    .output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`Cannot run ${cmd} ${args.join(" ")}: exit code ${out.code}\n${err}`);
  }
  return out;
}

/** The h2spec binary, built into the cache folder on the first run. */
async function installH2spec(): Promise<string> {
  const base = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  const cache = `${base}/serval-h2spec`;
  const bin = `${cache}/bin/h2spec`;
  // What the binary was built from (go rewrites the build's own go.mod).
  const stamp = `${cache}/bin/h2spec.go.mod`;
  const built = await Deno.readTextFile(stamp).catch(() => "");
  if (built === GO_MOD && await Deno.stat(bin).then(() => true, () => false)) return bin;
  log(`building h2spec into ${cache}`);
  await Deno.mkdir(`${cache}/build`, { recursive: true });
  await Deno.writeTextFile(`${cache}/build/go.mod`, GO_MOD);
  await run("go", ["build", "-o", bin, "github.com/summerwind/h2spec/cmd/h2spec"], {
    cwd: `${cache}/build`,
    env: {
      GOMODCACHE: `${cache}/gomod`,
      GOCACHE: `${cache}/gobuild`,
      GOFLAGS: "-mod=mod -buildvcs=false",
      GOTOOLCHAIN: "local",
    },
  }).catch((error) => {
    throw new Error(`${error.message}\n(the h2spec run needs Go 1.26 and the Go module proxy)`);
  });
  await Deno.writeTextFile(stamp, GO_MOD);
  return bin;
}

function manifests(
  ports: Record<string, number>,
  echoPort: number,
  cert: string,
  key: string,
) {
  const route = (kind: string, name: string, sections: string[], host = "") =>
    `---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: { name: ${name}, namespace: default }
spec:
  parentRefs: [${sections.map((s) => `{ name: h2spec, sectionName: ${s} }`).join(", ")}]${
      host ? `\n  hostnames: [${host}]` : ""
    }
  rules: [{ backendRefs: [{ name: echo, port: 80 }] }]
`;
  const listeners = [
    `{ name: h2c-mixed, protocol: HTTP, port: ${ports["h2c-mixed"]} }`,
    `{ name: h2c-grpc, protocol: HTTP, port: ${ports["h2c-grpc"]} }`,
    httpsListener("tls", ports.tls, "cert"),
    httpsListener("tls-http", ports["tls-http"], "cert"),
  ];
  return `${classAndGatewayYaml("h2spec", listeners)}---
${tlsSecretYaml("cert", cert, key)}---
${loopbackServiceYaml("echo", echoPort)}${
    route("GRPCRoute", "calls", ["h2c-mixed", "tls"], "grpc.example.com")
  }${route("GRPCRoute", "grpc-only", ["h2c-grpc"])}${
    route("HTTPRoute", "pages", ["h2c-mixed", "tls", "tls-http"])
  }`;
}

async function main(): Promise<number> {
  const started = performance.now();
  const h2spec = await installH2spec();
  const dir = await Deno.makeTempDir({ prefix: "serval-h2spec-" });
  await using ca = await createTestCa();
  const leaf = await ca.issue(["127.0.0.1", "localhost"]);
  await using echo = startEchoBackend({ name: "echo" });
  const [mixed, grpc, tls, tlsHttp] = freePorts(4);
  const ports: Record<string, number> = {
    "h2c-mixed": mixed,
    "h2c-grpc": grpc,
    tls,
    "tls-http": tlsHttp,
  };
  await Deno.writeTextFile(
    `${dir}/h2spec.yaml`,
    manifests(ports, echo.port, leaf.certPem, leaf.keyPem),
  );
  await using gateway = await startGateway({ manifests: dir, args: ["--log-level", "warn"] });
  let unexpected = 0;
  for (const [target, port] of Object.entries(ports)) {
    const report = `${dir}/${target}.xml`;
    // -S: the strict cases too (one more, on an invalid PING's GOAWAY).
    const args = ["-h", "127.0.0.1", "-p", String(port), "-S", "-o", "5", "-j", report];
    if (target.startsWith("tls")) args.push("-t", "-k");
    // h2spec exits 1 when a case fails; the report says which.
    await new Deno.Command(h2spec, { args, stdout: "null", stderr: "inherit" }).output();
    const cases = parseJunit(await Deno.readTextFile(report).catch(() => ""));
    if (cases.length === 0) throw new Error(`Cannot read h2spec's report for ${target}: no cases`);
    const v = judge(target, cases, ALLOWED);
    console.log(
      `${target}: ${cases.length} cases, ${v.passed} passed, ${v.failed} failed ` +
        `(${v.allowed.length} allowed), ${v.skipped} skipped`,
    );
    for (const c of v.allowed) console.log(`  allowed: ${c.id}`);
    for (const c of v.unexpected) {
      console.log(`  FAILED: ${c.id}\n    ${c.detail.replaceAll("\n", "\n    ")}`);
    }
    unexpected += v.unexpected.length;
  }
  const exited = await gateway.stop();
  if (!exited.success) log(`the gateway exited with code ${exited.code}`);
  if (Deno.args.includes("--keep")) log(`reports kept in ${dir}`);
  else await Deno.remove(dir, { recursive: true });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `h2spec: ${
      unexpected === 0 ? "passed" : `${unexpected} unexpected failure(s)`
    } in ${seconds} s`,
  );
  return unexpected === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
