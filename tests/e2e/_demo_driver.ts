/**
 * The demo's process arrangement with test ports: this process supervises
 * the gateway exactly as `scripts/demo.ts` does, through the same
 * {@linkcode superviseGateway}, without the demo's fixed ports.
 *
 * Usage: `_demo_driver.ts MANIFESTS_DIR ADMIN_PORT TELEMETRY_PORT`.
 * @module
 */
import { superviseGateway } from "../../scripts/demo_supervisor.ts";
import { startTaskFlags } from "../../scripts/start_task_flags.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const [manifests, adminPort, telemetryPort] = Deno.args;

superviseGateway({
  args: [
    "run",
    ...startTaskFlags(ROOT),
    `${ROOT}main.ts`,
    "run",
    "--manifests",
    manifests,
    "--admin-addr",
    `127.0.0.1:${adminPort}`,
    "--telemetry-addr",
    `127.0.0.1:${telemetryPort}`,
    "--listen-host",
    "127.0.0.1",
    "--log-format",
    "text",
    "--drain-delay",
    "0s",
  ],
  cleanup: () => Promise.resolve(),
  onUnexpectedExit: (code) => {
    throw new Error(`The gateway exited on its own with code ${code}`);
  },
});
