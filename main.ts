/**
 * serval-k8s-gateway: a Kubernetes Gateway API gateway, controller and data
 * plane in one process. See `--help`, and README.md.
 *
 * ```sh
 * deno run --unstable-net --allow-net --allow-read --allow-env --allow-sys --allow-ffi main.ts run --manifests examples
 * ```
 * @module
 */
import { runCli } from "./src/cli/cli.ts";
import { VERSION } from "./src/cli/version.ts";
import { createDefaultParts } from "./src/gateway.ts";
import { runGateway } from "./src/runtime/run_gateway.ts";

if (import.meta.main) {
  const code = await runCli(Deno.args, Deno.env.toObject(), {
    run: (options) => runGateway(options, createDefaultParts(), { version: VERSION }),
    // Loaded on use: `translate` reads YAML manifests, which serving from the API server never does.
    translate: async (paths, options, io) =>
      (await import("./src/cli/translate_command.ts")).runTranslateCommand(paths, options, io),
  });
  Deno.exit(code);
}
