/**
 * `deno task conformance`: builds the rig, starts a real kube-apiserver,
 * kube-controller-manager, etcd and the process kubelet, runs the gateway
 * against them, runs the upstream Gateway API conformance suite for
 * GATEWAY-HTTP and GATEWAY-TLS, writes its report to `conformance/reports/` and tears
 * everything down, failures included.
 *
 * `deno task cluster`: the same rig and gateway, left up until Ctrl-C, with
 * the kubeconfig printed for `kubectl`.
 * @module
 */
// deno-lint-ignore-file no-console
import { buildRig, go, moduleDir, rigPaths } from "./conformance/rig_build.ts";
import {
  freePort,
  type LoggedChild,
  startGateway,
  startRig,
  stopChild,
} from "./conformance/rig_run.ts";
import { runSuite } from "./conformance/suite.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const mode = Deno.args[0] === "cluster" ? "cluster" : "conformance";
/** Further arguments go to the suite (`-run-test=...`, `-supported-features=...`). */
const suiteArgs = Deno.args.slice(1);
const paths = rigPaths(ROOT, Deno.env.toObject());
const log = (line: string) => console.error(`[${mode}] ${line}`);
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);

/** Children to stop on the way out, last started first. */
const children: LoggedChild[] = [];
let stopping: Promise<void> | undefined;
/** The etcd data of a passing run, removed once everything stopped. */
let removeAfterTeardown: string | undefined;

function teardown(): Promise<void> {
  stopping ??= (async () => {
    for (const child of children.reverse()) {
      log(`stopping ${child.name}`);
      await stopChild(child, child.name === "rig" ? 60_000 : 15_000);
    }
    // A safety net: the rig removes its own processes and namespaces, and
    // this also clears what an interrupted start may have left.
    await new Deno.Command(`${paths.bin}/rig`, { args: ["cleanup", `--bin-dir=${paths.bin}`] })
      .output().catch(() => undefined);
  })();
  return stopping;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    log(`${signal}: tearing down`);
    teardown().then(() => Deno.exit(130));
  });
}

async function printLogTail(path: string, lines = 40): Promise<void> {
  try {
    const text = await Deno.readTextFile(path);
    console.error(`--- last ${lines} lines of ${path} ---`);
    console.error(text.trimEnd().split("\n").slice(-lines).join("\n"));
  } catch {
    // No log written.
  }
}

async function main(): Promise<number> {
  if (Deno.uid() !== 0) {
    throw new Error("Cannot start the rig: it needs root for network namespaces (ip netns)");
  }
  log(`building the rig in ${paths.cache}`);
  await buildRig(paths, log);
  log(`build done after ${seconds()} s`);
  // The rig's own unit tests (image map, env and volumes, base manifests)
  // before it runs anything.
  await go(paths, ["test", "-count=1", "-skip=^TestConformance$", "./..."]);
  log(`rig unit tests passed after ${seconds()} s`);
  const gatewayApi = await moduleDir(paths, "sigs.k8s.io/gateway-api");
  const runDir = await Deno.makeTempDir({ prefix: "serval-conformance-" });
  log(`run folder ${runDir}`);
  const { rig, kubeconfig } = await startRig(
    paths,
    runDir,
    `${gatewayApi}/config/crd/experimental`,
  );
  children.push(rig);
  log(`control plane and kubelet ready after ${seconds()} s`);
  const gateway = await startGateway(ROOT, paths, runDir, kubeconfig, freePort());
  children.push(gateway);
  log(`gateway up after ${seconds()} s (log: ${gateway.logPath})`);

  if (mode === "cluster") {
    console.log(`export KUBECONFIG=${kubeconfig}`);
    log("the rig is up; Ctrl-C tears it down");
    const exited = await Promise.race(children.map((c) => c.done.then(() => c)));
    // Ctrl-C stops the children too; only an exit of its own is news.
    if (stopping) return 0;
    log(`${exited.name} exited (log: ${exited.logPath})`);
    await printLogTail(exited.logPath);
    return 1;
  }
  const ok = await runSuite(paths, ROOT, runDir, kubeconfig, suiteArgs, log);
  if (!ok) {
    await printLogTail(gateway.logPath);
    await printLogTail(rig.logPath);
    log(`artefacts kept in ${runDir}`);
  } else {
    // The logs stay for a look afterwards; the etcd data is bulky and dead.
    removeAfterTeardown = `${runDir}/etcd`;
    log(`logs in ${runDir}`);
  }
  log(`suite done after ${seconds()} s`);
  return ok ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  for (const child of children) await printLogTail(child.logPath);
} finally {
  await teardown();
  if (removeAfterTeardown) {
    await Deno.remove(removeAfterTeardown, { recursive: true }).catch(() => undefined);
  }
  log(`total ${seconds()} s`);
}
Deno.exit(code);
