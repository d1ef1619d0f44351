/**
 * A bench-only data plane without the controller: one HTTP port, one route
 * to one backend, served by the real handler and listener manager with the
 * upstream client chosen on the command line, so the pooled HTTP/1.1 client
 * and a pooled `fetch` client can be compared on the same handler; `minimal`
 * is the yardstick client of `_minimal_client.ts` (what the handler and the
 * listener cost without the complete client).
 *
 * ```sh
 * deno run -A bench/_gateway_server.ts --port 8081 --backend-port 8082 --client own|fetch|minimal [--deno-serve]
 * ```
 * @module
 */
import { maybeFlag, requiredFlag } from "./_flags.ts";
import { createDataPlaneHandler } from "../src/dataplane/handler.ts";
import { DEFAULT_CLIENT_TIMEOUTS } from "../src/dataplane/client_timeouts.ts";
import { createListenerManager } from "../src/dataplane/listeners.ts";
import type { ProxyClient } from "../src/dataplane/upstream_client.ts";
import { createProxyClient } from "../src/dataplane/upstream_client.ts";
import { UpstreamError } from "../src/dataplane/upstream_types.ts";
import { createMinimalClient } from "./_minimal_client.ts";
import { compileRouteTable } from "../src/router/compile_route_table.ts";
import type { GatewayConfig } from "../src/model/config.ts";
import { ruleMapOf } from "../src/model/rule_map.ts";

const flag = (name: string, fallback?: string) =>
  fallback === undefined ? requiredFlag(name, "the bench gateway") : (maybeFlag(name) ?? fallback);

/** A `ProxyClient` on pooled `fetch`, returning the upstream body as is. */
function createFetchClient(): ProxyClient {
  const http = Deno.createHttpClient({ poolMaxIdlePerHost: 64, allowHost: true });
  return {
    async request(_protocol, ep, req, opts) {
      const headers = new Headers();
      for (let i = 0; i < req.headers.length; i += 2) {
        headers.append(req.headers[i], req.headers[i + 1]);
      }
      if (!headers.has("accept-encoding")) headers.set("accept-encoding", "identity");
      try {
        const res = await fetch(`http://${ep.address}:${ep.port}${req.target}`, {
          method: req.method,
          headers,
          body: req.body,
          redirect: "manual",
          client: http,
          signal: opts.timeoutMs > 0 ? AbortSignal.timeout(opts.timeoutMs) : undefined,
        });
        return {
          status: res.status,
          headers: [...res.headers],
          body: res.body,
          contentLength: null,
        };
      } catch (error) {
        throw new UpstreamError("reset", (error as Error).message);
      }
    },
    stats: () => ({ connectsTotal: 0, idle: 0, retriesTotal: 0 }),
    close: () => http.close(),
  };
}

const port = Number(flag("port"));
const backendPort = Number(flag("backend-port"));
const choice = flag("client", "own");
const client = choice === "fetch"
  ? createFetchClient()
  : choice === "minimal"
  ? createMinimalClient()
  : createProxyClient();
const config: GatewayConfig = {
  ports: [{
    port,
    protocol: "HTTP",
    listeners: [{
      id: "gateway/bench/gw/listener/http",
      ids: ["gateway/bench/gw/listener/http"],
      hostname: null,
      port,
      protocol: "HTTP",
      virtualHosts: [{
        hostname: "*",
        matches: [{
          id: "httproute/bench/r/rule/0/match/0",
          rule: "httproute/bench/r/rule/0",
          route: "bench/r",
          path: { type: "PathPrefix", value: "/" },
          headers: [],
          queryParams: [],
        }],
      }],
    }],
  }],
  rules: ruleMapOf({
    "httproute/bench/r/rule/0": {
      id: "httproute/bench/r/rule/0",
      filters: [],
      backends: [{
        id: "service/bench/backend:80",
        weight: 1,
        protocol: "http",
        endpoints: [{ address: "127.0.0.1", port: backendPort }],
        filters: [],
      }],
      invalidWeight: 0,
    },
  }),
};
const table = compileRouteTable(config);
if (Deno.args.includes("--deno-serve")) {
  // The handler alone on `Deno.serve`'s own accept loop: what the gateway's
  // connection server (`connection_server.ts`) costs beside it.
  const handler = createDataPlaneHandler({
    getTable: () => table,
    port,
    scheme: "http",
    upstream: client,
  });
  Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, handler);
} else {
  await serveWithListenerManager();
}

async function serveWithListenerManager(): Promise<void> {
  // `--http1-engine own|deno`: the process's connection settings (default
  // timeouts, no limits) with that engine, to compare engines alone.
  const engine = flag("http1-engine", "");
  const manager = createListenerManager({
    getTable: () => table,
    hostname: "127.0.0.1",
    upstream: client,
    ...(engine === "" ? {} : {
      connections: {
        maxConnections: 0,
        maxConnectionsPerPort: 0,
        timeouts: DEFAULT_CLIENT_TIMEOUTS,
        http1Engine: engine === "own" ? "own" : "deno",
      },
    }),
  });
  await manager.reconcile({ config });
  Deno.addSignalListener("SIGTERM", async () => {
    await manager.shutdown({ graceMs: 1000 });
    client.close();
    Deno.exit(0);
  });
}
