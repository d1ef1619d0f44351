/**
 * A data plane on a real loopback port for socket tests: a compiled table,
 * the listener manager, and helpers to send raw HTTP/1.1 requests.
 * @module
 */
import { createListenerManager, type ListenerManager } from "../../src/dataplane/listeners.ts";
import type { ListenerPortState } from "../../src/dataplane/listener_port_state.ts";
import type { ClientConnectionSettings } from "../../src/dataplane/client_timeouts.ts";
import type { Logger } from "../../src/log/logger.ts";
import type { DataPlaneObserver, UpstreamErrorKind } from "../../src/dataplane/observer.ts";
import type { RequestPolicy } from "../../src/dataplane/request_policy.ts";
import { createProxyClient, type ProxyClient } from "../../src/dataplane/upstream_client.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import type { RouteTable } from "../../src/router/router.ts";
import type { CertificateConfig, GatewayConfig } from "../../src/model/config.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { testConfig, type TestRule } from "./_config.ts";
import { concatBytes } from "../../src/dataplane/h2/h2_frames.ts";

/** A running data plane. */
export interface TestProxy extends AsyncDisposable {
  port: number;
  url: string;
  manager: ListenerManager;
  client: ProxyClient;
  upstreamErrors: { backend: string; kind: UpstreamErrorKind }[];
  statuses: number[];
  /** Client events as `family:reason`, in order. */
  clientEvents: string[];
  /** What the first reconcile reported for each port. */
  states: ListenerPortState[];
  setConfig(config: GatewayConfig): void;
}

/** A whole configuration for the port a test proxy binds, instead of rules. */
export type ProxyWorld = (port: number) => {
  config: GatewayConfig;
  certificates?: CertificateConfig[];
};

/** Listener-manager settings a test proxy takes beyond its rules and policy. */
export interface ProxyOptions {
  /** Connection limits, client timeouts and the HTTP/1.1 engine; default the manager's. */
  connections?: ClientConnectionSettings;
  /** Default: the manager's. */
  logger?: Logger;
}

/**
 * Starts a data plane on a free port serving `rules`, or the configuration
 * `rules` builds for that port (default request policy unless given).
 */
export async function startProxy(
  rules: TestRule[] | ProxyWorld,
  policy?: RequestPolicy,
  options: ProxyOptions = {},
): Promise<TestProxy> {
  const port = freePort();
  const world = typeof rules === "function" ? rules(port) : { config: testConfig(port, rules) };
  let table: RouteTable = compileRouteTable(world.config);
  const upstreamErrors: TestProxy["upstreamErrors"] = [];
  const statuses: number[] = [];
  const clientEvents: string[] = [];
  const observer: DataPlaneObserver = {
    onRequest: (r) => statuses.push(r.status),
    onUpstreamError: (backend, kind) => upstreamErrors.push({ backend, kind }),
    onClientEvent: (family, reason) => clientEvents.push(`${family}:${reason}`),
  };
  const client = createProxyClient({});
  const manager = createListenerManager({
    getTable: () => table,
    hostname: "127.0.0.1",
    observer,
    upstream: client,
    policy,
    ...options,
  });
  const states = await manager.reconcile({
    config: table.config,
    certificates: world.certificates ?? [],
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    manager,
    client,
    upstreamErrors,
    statuses,
    clientEvents,
    states,
    setConfig(config) {
      table = compileRouteTable(config);
    },
    async [Symbol.asyncDispose]() {
      await manager.shutdown({ graceMs: 2000 });
      client.close();
    },
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A raw response: status, lower-case headers, body bytes (de-chunked). */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
  raw: string;
}

/**
 * Sends `head` (without the final empty line) and optional body bytes over a
 * fresh connection with `Connection: close`, reads to the end.
 */
export async function rawRequest(
  port: number,
  head: string,
  body: Uint8Array | string = "",
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = typeof body === "string" ? encoder.encode(body) : body;
    const headBytes = encoder.encode(head + "\r\nConnection: close\r\n\r\n");
    const all = new Uint8Array(headBytes.length + bytes.length);
    all.set(headBytes);
    all.set(bytes, headBytes.length);
    let off = 0;
    while (off < all.length) off += await conn.write(all.subarray(off));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const raw = decoder.decode(concatBytes(chunks));
    const split = raw.indexOf("\r\n\r\n");
    const lines = raw.slice(0, split).split("\r\n");
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      const name = line.slice(0, i).toLowerCase();
      const value = line.slice(i + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    let rest = raw.slice(split + 4);
    if (headers.get("transfer-encoding") === "chunked") rest = dechunk(rest);
    return { status: Number(lines[0].split(" ")[1]), headers, body: rest, raw };
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

function dechunk(text: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const eol = text.indexOf("\r\n", at);
    const size = parseInt(text.slice(at, eol), 16);
    if (!size) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/**
 * Starts two uploads that promise more body than they send, a small one (read
 * whole before forwarding) and a large one (streamed), and closes each
 * connection: the proxy must answer both as the client's abort.
 */
export async function abortUploads(port: number): Promise<void> {
  for (const length of [1000, 200_000]) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      encoder.encode(
        `POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\n\r\n${"x".repeat(100)}`,
      ),
    );
    conn.close();
  }
}
