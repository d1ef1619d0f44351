/**
 * `deno task demo`: the gateway on `examples/`, with the two echo backends
 * those manifests point at, so routing can be tried with curl at once.
 *
 * Starts `users` on 127.0.0.1:3001 and `orders` on 127.0.0.1:3002, then the
 * gateway process (admin on 127.0.0.1:9901, telemetry on 127.0.0.1:9902, data
 * plane on the Gateway's port 8080), waits for `/readyz`, prints commands to
 * try, and stops everything on Ctrl-C.
 * @module
 */
// deno-lint-ignore-file no-console
import { startEchoBackend } from "./echo_backend.ts";
import { superviseGateway } from "./demo_supervisor.ts";
import { startTaskFlags } from "./start_task_flags.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ADMIN = "127.0.0.1:9901";
const BACKENDS = [
  { name: "users", port: 3001 },
  { name: "orders", port: 3002 },
];

function startBackends() {
  return BACKENDS.map(({ name, port }) => {
    try {
      return startEchoBackend({ name, hostname: "127.0.0.1", port });
    } catch (error) {
      console.error(
        `Cannot start the "${name}" echo backend on 127.0.0.1:${port}: ${
          error instanceof Error ? error.message : error
        }\nIs another demo still running?`,
      );
      Deno.exit(1);
    }
  });
}

async function waitReady(child: Deno.ChildProcess, timeoutMs: number): Promise<boolean> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`http://${ADMIN}/readyz`);
      await res.body?.cancel();
      if (res.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const backends = startBackends();
console.log(`echo backends: ${BACKENDS.map((b) => `${b.name} on 127.0.0.1:${b.port}`).join(", ")}`);

const supervised = superviseGateway({
  args: [
    "run",
    ...startTaskFlags(ROOT),
    `${ROOT}main.ts`,
    "run",
    "--manifests",
    `${ROOT}examples`,
    "--admin-addr",
    ADMIN,
    "--telemetry-addr",
    "127.0.0.1:9902",
    "--listen-host",
    "127.0.0.1",
    "--log-format",
    "text",
    "--drain-delay",
    "0s",
  ],
  cleanup: () => Promise.all(backends.map((b) => b.close())),
  onUnexpectedExit: (code) =>
    console.error(`The gateway exited with code ${code}; stopping the demo.`),
});
const gateway = supervised.child;

if (await waitReady(gateway, 30_000)) {
  const api = "curl -H 'Host: api.example.com' http://127.0.0.1:8080";
  const tries: [string, string][] = [
    [`${api}/v1/users`, "users"],
    [`${api}/v1/orders -i`, "orders, with an X-Served-By header"],
    [`${api}/legacy/v1/users`, "users, path rewritten to /v1/users"],
    [`${api}/old-users -i`, "301 to /v1/users"],
    ["curl -H 'Host: other.example.com' http://127.0.0.1:8080/ -i", "404: no route for this host"],
    ["", ""],
    [`curl http://${ADMIN}/config`, "the served config (JSON)"],
    [`curl 'http://${ADMIN}/explain?host=api.example.com&path=/v1/users'`, "why it goes there"],
    [`curl http://${ADMIN}/metrics`, "Prometheus metrics"],
    [`curl -X POST http://${ADMIN}/reload`, "re-read examples/ now"],
  ];
  const width = Math.max(...tries.map(([command]) => command.length)) + 2;
  const lines = tries.map(([command, what]) =>
    command ? `  ${command.padEnd(width)}# ${what}` : ""
  );
  console.log(
    `\nThe gateway is ready. Try:\n\n${lines.join("\n")}\n\n` +
      "Edit examples/*.yaml: changes are served without a restart. Ctrl-C stops everything.\n",
  );
} else if (!supervised.stopping()) {
  console.error("The gateway did not become ready within 30 s; stopping the demo.");
  await supervised.stop(1);
}
