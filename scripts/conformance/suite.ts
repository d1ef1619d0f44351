/**
 * Runs the upstream conformance suite (`go test` of `conformance/`) against
 * the rig and the gateway, copies the report it wrote into
 * `conformance/reports/`, and prints tests run, passed and skipped per
 * profile.
 * @module
 */
// deno-lint-ignore-file no-console
import { parse } from "yaml";
import { goEnv, type RigPaths } from "./rig_build.ts";
import { GATEWAY_CLASS } from "./rig_run.ts";

/** The profiles the rig runs. */
export const PROFILES = ["GATEWAY-HTTP", "GATEWAY-TLS", "GATEWAY-GRPC"];
/** An address inside the rig's pool (`127.32.0.0/16`) for GatewayStaticAddresses. */
export const USABLE_ADDRESS = "127.32.255.250";
/** An address outside the pool, which the gateway must refuse. */
export const UNUSABLE_ADDRESS = "127.33.0.1";
/** Where the report lands in the repository. */
export const REPORT_PATH = "conformance/reports/report.yaml";

/** The gateway's version, as the report names it. */
async function gatewayVersion(root: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  return `v${config.version}`;
}

/** A line worth showing while the suite runs: a test result or the verdict. */
function isResultLine(line: string): boolean {
  return /^\s*--- (PASS|FAIL|SKIP)/.test(line) || /^(ok|FAIL|panic)\b/.test(line);
}

/**
 * Runs the suite, streaming test results to stderr and the whole output to
 * `<runDir>/suite.log`; resolves true when every test passed.
 */
export async function runSuite(
  paths: RigPaths,
  root: string,
  runDir: string,
  kubeconfig: string,
  extraArgs: string[],
  log: (line: string) => void,
): Promise<boolean> {
  const reportOut = `${runDir}/report.yaml`;
  const args = [
    "test",
    "-count=1",
    "-timeout=80m",
    "-v",
    "-run=^TestConformance$",
    ".",
    "-args",
    `-gateway-class=${GATEWAY_CLASS}`,
    `-conformance-profiles=${PROFILES.join(",")}`,
    `-report-output=${reportOut}`,
    "-organization=serval",
    "-project=serval-k8s-gateway",
    "-url=https://github.com/serval/serval-k8s-gateway",
    `-version=${await gatewayVersion(root)}`,
    "-contact=@serval/maintainers",
    "-cleanup-base-resources=false",
    // For GatewayStaticAddresses: one address of the pool no Gateway picks
    // first (the pool is a /16, the suite makes a dozen Gateways), and one
    // outside it.
    `-usable-address=${USABLE_ADDRESS}`,
    `-unusable-address=${UNUSABLE_ADDRESS}`,
    ...extraArgs,
  ];
  log(`go ${args.join(" ")}`);
  const child = new Deno.Command("go", {
    args,
    cwd: paths.module,
    env: { ...goEnv(paths), KUBECONFIG: kubeconfig },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const file = await Deno.open(`${runDir}/suite.log`, { create: true, write: true });
  const encoder = new TextEncoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      await file.write(encoder.encode(text));
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (isResultLine(line)) console.error(line);
    }
  };
  await Promise.all([pump(child.stdout), pump(child.stderr)]);
  file.close();
  const status = await child.status;
  log(`suite exited with code ${status.code} (log: ${runDir}/suite.log)`);
  try {
    const report = await Deno.readTextFile(reportOut);
    await Deno.mkdir(`${root}conformance/reports`, { recursive: true });
    await Deno.writeTextFile(`${root}${REPORT_PATH}`, report);
    log(`report written to ${REPORT_PATH}`);
    printSummary(report);
  } catch (error) {
    log(`the suite wrote no report: ${error instanceof Error ? error.message : error}`);
  }
  return status.success;
}

interface Statistics {
  Passed?: number;
  Failed?: number;
  Skipped?: number;
}

interface ProfileReport {
  name: string;
  core?: { result?: string; statistics?: Statistics };
  extended?: { result?: string; statistics?: Statistics; supportedFeatures?: string[] };
}

/** Prints run/passed/failed/skipped for core and extended of each profile. */
export function printSummary(reportYaml: string): void {
  const report = parse(reportYaml) as { profiles?: ProfileReport[] };
  for (const profile of report.profiles ?? []) {
    for (const [level, part] of [["core", profile.core], ["extended", profile.extended]] as const) {
      if (!part) continue;
      const s = part.statistics ?? {};
      const run = (s.Passed ?? 0) + (s.Failed ?? 0);
      console.error(
        `${profile.name} ${level}: ${part.result ?? "?"}; ${run} run, ${s.Passed ?? 0} passed, ` +
          `${s.Failed ?? 0} failed, ${s.Skipped ?? 0} skipped`,
      );
    }
  }
}
