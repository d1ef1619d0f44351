/**
 * Conformance-style tables for the end-to-end tests: the shape of the Gateway
 * API conformance suite's "request → expected backend / status / headers /
 * Location" cases, checked through the real gateway process on loopback.
 *
 * Requests go out over a raw TCP socket so the request-target, the `Host`
 * header (port included) and repeated header lines are sent exactly as
 * written; `fetch` would normalise all three. Backends are the echo backends
 * of `tests/_helpers/echo_backend.ts`, which report what they received.
 * @module
 */
import { assertEquals } from "@std/assert";
import { type EchoBackend, type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { freePorts, type GatewayProcess, startGateway } from "../_helpers/gateway_process.ts";
import { concatBytes } from "../../src/dataplane/h2/h2_frames.ts";

/** The controller name of the gateway under test (its default). */
export const CONTROLLER = "gateway.serval.dev/controller";
/** The namespace the suite keeps its Gateways, routes and most backends in. */
export const INFRA = "gateway-conformance-infra";

/** One row of a table: a request and what must come of it. */
export interface Case {
  /** Which spec rule or conformance expectation the row checks. */
  rule: string;
  /** The listener port to send to (default: the fixture's first gateway port). */
  port?: number;
  method?: string;
  /** `Host` header as sent (default `example.com`). */
  host?: string;
  /** Request-target as sent, byte for byte. */
  path: string;
  /** Request headers; an array value sends the header once per item. */
  headers?: Record<string, string | string[]>;
  /** Expected status (default 200). */
  status?: number;
  /** Expected backend (echo backend name); implies 200. */
  backend?: string;
  /** Request-target the backend must see (default: `path` when a backend is expected). */
  target?: string;
  /** `Host` the backend must see. */
  backendHost?: string;
  /** Request headers the backend must see (repeated lines joined with ",", as the suite does). */
  backendHeaders?: Record<string, string>;
  /** Request headers the backend must not see. */
  backendAbsent?: string[];
  /** Response headers the backend is told to send (echo `x-echo-header-*`). */
  backendSets?: Record<string, string>;
  /** Response headers the client must see. */
  responseHeaders?: Record<string, string>;
  /** Response headers the client must not see. */
  responseAbsent?: string[];
  /** Exact `Location` of a redirect. */
  location?: string;
  /** Send over TLS, trusting this CA certificate. */
  tlsCa?: string;
  /** TLS server name (default: the Host without port). */
  sni?: string;
  /** Compare header values with whitespace removed (the suite's `IgnoreWhitespace`). */
  ignoreWhitespace?: boolean;
}

/** A response as read off the socket. */
export interface RawResponse {
  status: number;
  /** Header lines, names lower-cased, in order. */
  headers: [string, string][];
  body: string;
}

/** The values of header `name` in `headers`, joined with "," (how the suite compares them). */
export function headerValue(headers: [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  const values = headers.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(",");
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends one HTTP/1.1 request over a fresh connection (`Connection: close`) and
 * reads the whole response.
 */
export async function rawRequest(
  port: number,
  request: {
    method?: string;
    host: string;
    path: string;
    headers?: [string, string][];
    tlsCa?: string;
    sni?: string;
  },
): Promise<RawResponse> {
  const conn = request.tlsCa === undefined
    ? await Deno.connect({ hostname: "127.0.0.1", port })
    : await connectTlsWithServerName({
      hostname: "127.0.0.1",
      port,
      caCerts: [request.tlsCa],
      serverName: request.sni ?? request.host.replace(/:\d+$/, ""),
    });
  try {
    const lines = [`${request.method ?? "GET"} ${request.path} HTTP/1.1`, `Host: ${request.host}`];
    for (const [name, value] of request.headers ?? []) lines.push(`${name}: ${value}`);
    lines.push("Connection: close", "", "");
    const data = encoder.encode(lines.join("\r\n"));
    for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    return parseResponse(concatBytes(chunks), request.method === "HEAD");
  } finally {
    try {
      conn.close();
    } catch { /* already closed by the peer */ }
  }
}

function parseResponse(bytes: Uint8Array, head: boolean): RawResponse {
  const text = decoder.decode(bytes);
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) {
    throw new Error(`Cannot parse response: no end of head in ${JSON.stringify(text)}`);
  }
  const [statusLine, ...headerLines] = text.slice(0, end).split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers: [string, string][] = headerLines.map((line) => {
    const i = line.indexOf(":");
    return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()];
  });
  let body = head ? "" : text.slice(end + 4);
  if (headerValue(headers, "transfer-encoding")?.toLowerCase() === "chunked") {
    let out = "";
    let rest = body;
    for (;;) {
      const eol = rest.indexOf("\r\n");
      const size = parseInt(rest.slice(0, eol), 16);
      if (!(size > 0)) break;
      out += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 2 + size + 2);
    }
    body = out;
  }
  return { status, headers, body };
}

/** The result of sending one case: the response and, when a backend answered, its record. */
export interface Sent {
  response: RawResponse;
  echo?: EchoRecord;
}

/** Sends the request of `c` to `port`. */
export async function send(port: number, c: Case): Promise<Sent> {
  const headers: [string, string][] = [];
  for (const [name, value] of Object.entries(c.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) headers.push([name, v]);
  }
  for (const [name, value] of Object.entries(c.backendSets ?? {})) {
    headers.push([`x-echo-header-${name}`, value]);
  }
  const response = await rawRequest(c.port ?? port, {
    method: c.method,
    host: c.host ?? "example.com",
    path: c.path,
    headers,
    tlsCa: c.tlsCa,
    sni: c.sni,
  });
  let echo: EchoRecord | undefined;
  if (headerValue(response.headers, "content-type") === "application/json") {
    try {
      const parsed = JSON.parse(response.body);
      if (typeof parsed?.name === "string" && Array.isArray(parsed.headers)) echo = parsed;
    } catch { /* not an echo reply */ }
  }
  return { response, echo };
}

/** Why the outcome of `c` differs from what it expects, or `undefined` when it matches. */
export function mismatch(c: Case, sent: Sent): string | undefined {
  const { response, echo } = sent;
  const wantStatus = c.status ?? 200;
  if (response.status !== wantStatus) {
    return `status ${response.status}, want ${wantStatus} (body ${response.body.slice(0, 200)})`;
  }
  if (c.backend !== undefined) {
    if (!echo) return `no echo reply, want backend ${c.backend}`;
    if (echo.name !== c.backend) return `backend ${echo.name}, want ${c.backend}`;
    const target = c.target ?? c.path;
    if (echo.target !== target) return `backend saw target ${echo.target}, want ${target}`;
    const method = c.method ?? "GET";
    if (echo.method !== method) return `backend saw method ${echo.method}, want ${method}`;
    if (c.backendHost !== undefined) {
      const host = headerValue(echo.headers, "host");
      if (host !== c.backendHost) return `backend saw host ${host}, want ${c.backendHost}`;
    }
    for (const [name, want] of Object.entries(c.backendHeaders ?? {})) {
      const got = headerValue(echo.headers, name);
      if (!sameValue(c, got, want)) return `backend saw ${name}: ${got}, want ${want}`;
    }
    for (const name of c.backendAbsent ?? []) {
      const got = headerValue(echo.headers, name);
      if (got !== undefined) return `backend saw ${name}: ${got}, want it absent`;
    }
  }
  for (const [name, want] of Object.entries(c.responseHeaders ?? {})) {
    const got = headerValue(response.headers, name);
    if (!sameValue(c, got, want)) return `response ${name}: ${got}, want ${want}`;
  }
  for (const name of c.responseAbsent ?? []) {
    const got = headerValue(response.headers, name);
    if (got !== undefined) return `response ${name}: ${got}, want it absent`;
  }
  if (c.location !== undefined) {
    const got = headerValue(response.headers, "location");
    if (got !== c.location) return `location ${got}, want ${c.location}`;
  }
  return undefined;
}

function sameValue(c: Case, got: string | undefined, want: string): boolean {
  if (got === undefined) return false;
  return c.ignoreWhitespace ? got.replace(/\s/g, "") === want.replace(/\s/g, "") : got === want;
}

/**
 * Runs every row (concurrently) and fails once with the list of rows that did
 * not hold, each with its rule, so one run shows every broken expectation.
 */
export async function checkTable(port: number, table: Case[]): Promise<void> {
  const failures = (await Promise.all(table.map(async (c) => {
    let why: string | undefined;
    try {
      why = mismatch(c, await send(port, c));
    } catch (error) {
      why = `request failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    return why === undefined
      ? undefined
      : `${c.method ?? "GET"} ${c.host ?? "example.com"}${c.path} [${c.rule}]: ${why}`;
  }))).filter((f) => f !== undefined);
  assertEquals(failures, [], `${failures.length} of ${table.length} rows failed`);
}

/** A Service `name` in `namespace` (port 8080) whose EndpointSlice points at an echo backend. */
export function serviceYaml(namespace: string, name: string, backendPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  ports: [{ name: http, port: 8080, targetPort: ${backendPort}, protocol: TCP }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-slice
  namespace: ${namespace}
  labels: { kubernetes.io/service-name: ${name} }
addressType: IPv4
ports: [{ name: http, port: ${backendPort}, protocol: TCP }]
endpoints:
  - addresses: ["127.0.0.1"]
    conditions: { ready: true }
`;
}

/** The GatewayClass every fixture uses. */
export const GATEWAY_CLASS_YAML = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: conformance }
spec: { controllerName: ${CONTROLLER} }
`;

/** A Gateway in {@linkcode INFRA} with one HTTP listener `http` on `port`, routes from the same namespace. */
export function simpleGatewayYaml(name: string, port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  listeners:
    - name: http
      port: ${port}
      protocol: HTTP
      allowedRoutes: { namespaces: { from: Same } }
`;
}

/** A running fixture: echo backends, a manifests directory and the gateway process. */
export interface Fixture extends AsyncDisposable {
  gateway: GatewayProcess;
  /** Ports reserved for Gateway listeners, as many as asked. */
  ports: number[];
  backends: Record<string, EchoBackend>;
  dir: string;
  /** Writes (or replaces) a manifest file, atomically. */
  write(name: string, text: string): Promise<void>;
  /** Removes a manifest file. */
  remove(name: string): Promise<void>;
  /** The `/config` document. */
  config(): Promise<ConfigDump>;
}

/** The parts of `/config` the tables read. */
export interface ConfigDump {
  statuses: {
    kind: string;
    namespace?: string;
    name: string;
    status: {
      conditions?: { type: string; status: string; reason: string }[];
      listeners?: {
        name: string;
        attachedRoutes: number;
        supportedKinds?: { group?: string; kind: string }[];
        conditions: { type: string; status: string; reason: string }[];
      }[];
      parents?: {
        parentRef: Record<string, unknown>;
        controllerName: string;
        conditions: { type: string; status: string; reason: string }[];
      }[];
    };
  }[];
  problems: { object: string; field?: string; message: string }[];
}

/**
 * Starts echo backends named `backends` (each `namespace/name`), writes
 * `manifests(ports, backendPorts)` and starts the gateway on them.
 */
export async function startFixture(options: {
  gatewayPorts: number;
  backends: string[];
  manifests: (ports: number[], backendPort: (ref: string) => number) => Record<string, string>;
  /** Extra command-line arguments for the gateway. */
  args?: string[];
}): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "serval-conformance-" });
  const backends: Record<string, EchoBackend> = {};
  for (const ref of options.backends) {
    backends[ref] = startEchoBackend({ name: ref.split("/").pop()! });
  }
  const ports = freePorts(options.gatewayPorts);
  const write = async (name: string, text: string) => {
    const tmp = `${dir}/.${name}.tmp`;
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, `${dir}/${name}`);
  };
  const files = options.manifests(ports, (ref) => {
    const backend = backends[ref];
    if (!backend) throw new Error(`Cannot find echo backend: current value is "${ref}"`);
    return backend.port;
  });
  for (const [name, text] of Object.entries(files)) await write(name, text);
  let gateway: GatewayProcess;
  try {
    gateway = await startGateway({ manifests: dir, args: options.args });
  } catch (error) {
    for (const b of Object.values(backends)) await b.close();
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  return {
    gateway,
    ports,
    backends,
    dir,
    write,
    remove: (name) => Deno.remove(`${dir}/${name}`),
    async config() {
      const res = await gateway.admin("/config");
      return await res.json();
    },
    async [Symbol.asyncDispose]() {
      await gateway.stop();
      for (const b of Object.values(backends)) await b.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The status `/config` reports for one object, or a failure naming what is missing. */
export function statusOf(
  config: ConfigDump,
  kind: string,
  namespace: string,
  name: string,
): ConfigDump["statuses"][number]["status"] {
  const found = config.statuses.find((s) =>
    s.kind === kind && s.name === name && (s.namespace ?? "") === namespace
  );
  if (!found) throw new Error(`Cannot find the status of ${kind} ${namespace}/${name}`);
  return found.status;
}

/** `type=status/reason` of each condition, for compact assertions. */
export function conditionSummary(
  conditions: { type: string; status: string; reason: string }[] | undefined,
): string[] {
  return (conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
}

/**
 * Polls `fn` until it returns `undefined` (meaning: the expectation holds) or
 * `timeoutMs` passes; returns the last reason. For changes to the manifests,
 * which the gateway picks up after its debounce.
 */
export async function eventually(
  fn: () => Promise<string | undefined>,
  timeoutMs = 60_000,
): Promise<string | undefined> {
  const deadline = performance.now() + timeoutMs;
  let why: string | undefined = "never ran";
  while (performance.now() < deadline) {
    why = await fn();
    if (why === undefined) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
  return why;
}
