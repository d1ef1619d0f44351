/**
 * A fake Kubernetes API server for tests: real wire protocol over HTTPS (its
 * own CA, made at test time) with bearer-token auth, lists with
 * `limit`/`continue`, `?watch=true` newline-delimited JSON events with
 * bookmarks, timeouts and `410 Gone` after compaction, status subresource
 * PATCH/PUT with resourceVersion conflicts, Leases, field selectors, missing
 * CRDs, and fault injection (cut or hung streams, 429/5xx with `Retry-After`,
 * the whole server down and back on the same port).
 *
 * @example
 * ```ts ignore
 * const kube = await startFakeKube();
 * kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
 * await kube.close();
 * ```
 * @module
 */
import { FakeApiError, FakeKubeStore, type KubeJson, mergePatch } from "./fake_kube_store.ts";
import {
  apiVersionOf,
  type FakeResource,
  type ParsedPath,
  parsePath,
  resourceOf,
} from "./fake_kube_resources.ts";
import { type FakePki, fakePki } from "./fake_pki.ts";
import { FakeWatchHub, type FakeWatchOptions } from "./fake_kube_watch.ts";
import { startTcpFront } from "./tcp_front.ts";
import { startTlsFront } from "./tls_front.ts";

/** Options of {@linkcode startFakeKube}. */
export interface FakeKubeOptions extends FakeWatchOptions {
  /** The accepted bearer token. Default `test-token`. */
  token?: string;
  /** Plural names of resources whose CRD is "not installed" (404). */
  missing?: string[];
  /** Port to listen on (0: a free one). */
  port?: number;
  /**
   * End TLS in a front whose sockets set `TCP_NODELAY`, as a real API server's
   * do, so no answer or watch event waits for a delayed ACK (benchmarks).
   */
  noDelayTls?: boolean;
}

/** A failure to answer instead of serving matching requests. */
export interface FailureRule {
  status: number;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  /** How many requests fail. Default 1. */
  count?: number;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** Only watch requests (`true`) or only others (`false`). */
  watch?: boolean;
  method?: string;
}

/** Which requests a hold applies to; every field present must match. */
export interface RequestMatch {
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** Only watch requests (`true`) or only others (`false`). */
  watch?: boolean;
  method?: string;
}

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** The bearer token presented, if any: tells simulated clients apart. */
  token?: string;
  /** `performance.now()` when it arrived. */
  at: number;
}

/** A running fake API server. */
export interface FakeKube {
  readonly url: string;
  readonly port: number;
  readonly pki: FakePki;
  readonly store: FakeKubeStore;
  readonly watches: FakeWatchHub;
  /** The accepted bearer token; assign to rotate it. */
  token: string;
  /** More accepted tokens (one per simulated client); delete one to lock its client out. */
  readonly extraTokens: Set<string>;
  readonly requests: RecordedRequest[];
  /** Creates or replaces (spec and status) an object; returns it as stored. */
  apply(object: Record<string, unknown>): KubeJson;
  /** Deletes an object. */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void;
  /** The current object, or undefined. */
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): KubeJson | undefined;
  /** Marks a resource's CRD as (not) installed. */
  setMissing(plural: string, missing: boolean): void;
  /** Fails the next matching requests. */
  failNext(rule: FailureRule): void;
  /**
   * Holds every matching request (no answer) until the returned function is
   * called; then they, and later ones, are served normally.
   */
  hold(match: RequestMatch): () => void;
  /** Stops listening and cuts every connection (connection refused from now on). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Whether the server accepts connections. */
  readonly isUp: boolean;
  /**
   * Writes a kubeconfig pointing at this server; returns its path. The user
   * authenticates with `token` (default: the accepted token) or, given
   * `{ tokenFile }`, with the token read from that file (rotated by rewriting it).
   */
  writeKubeconfig(
    path: string,
    auth?: string | { token?: string; tokenFile?: string },
  ): Promise<string>;
  close(): Promise<void>;
  /** `await using kube = await startFakeKube()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  });
}

function statusResponse(code: number, reason: string, message: string, headers = {}): Response {
  return new Response(statusBody(code, reason, message), {
    status: code,
    headers: { "content-type": "application/json", ...headers },
  });
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Starts a fake API server on 127.0.0.1 (a free port). */
export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const pki = await fakePki();
  const store = new FakeKubeStore();
  const watches = new FakeWatchHub(store, options);
  const missing = new Set(options.missing ?? []);
  const failures: FailureRule[] = [];
  const holds = new Set<{ match: RequestMatch; released: Promise<void>; release: () => void }>();
  const matches = (m: RequestMatch, req: Request, url: URL, isWatch: boolean) =>
    (m.pathIncludes === undefined || url.pathname.includes(m.pathIncludes)) &&
    (m.watch === undefined || m.watch === isWatch) &&
    (m.method === undefined || m.method === req.method);
  const requests: RecordedRequest[] = [];
  let token = options.token ?? "test-token";
  const extraTokens = new Set<string>();
  let server!: Deno.HttpServer;

  const withWire = (r: FakeResource, o: KubeJson): KubeJson => ({
    ...o,
    apiVersion: apiVersionOf(r),
    kind: r.kind,
  });

  const list = (p: ParsedPath, query: URLSearchParams): Response => {
    const limit = Number(query.get("limit") ?? "0");
    let at = store.revision;
    let after = "";
    const cont = query.get("continue");
    if (cont) {
      try {
        ({ at, after } = JSON.parse(atob(cont)) as { at: number; after: string });
      } catch {
        return statusResponse(400, "BadRequest", "invalid continue token");
      }
      if (at < store.compactedRevision) {
        return statusResponse(
          410,
          "Expired",
          "The provided continue parameter is too old to display a consistent list result.",
        );
      }
    }
    const selector = watches.parseFieldSelector(query.get("fieldSelector"));
    const all = store.listShared(p.resource.id, at).filter((o) =>
      (!p.namespace || o.metadata.namespace === p.namespace) && selector(o)
    );
    const keyed = all.map((o) => ({
      key: `${o.metadata.namespace ?? ""}/${o.metadata.name}`,
      o,
    })).filter(({ key }) => key > after);
    const page = limit > 0 ? keyed.slice(0, limit) : keyed;
    const more = limit > 0 && keyed.length > limit;
    const metadata: Record<string, unknown> = { resourceVersion: String(at) };
    if (more) {
      metadata.continue = btoa(JSON.stringify({ at, after: page.at(-1)!.key }));
      metadata.remainingItemCount = keyed.length - page.length;
    }
    return json({
      kind: `${p.resource.kind}List`,
      apiVersion: apiVersionOf(p.resource),
      metadata,
      items: page.map(({ o }) => {
        if (!p.resource.builtin) return withWire(p.resource, o);
        const { apiVersion: _a, kind: _k, ...bare } = o;
        return bare;
      }),
    });
  };

  const handle = async (req: Request, url: URL, p: ParsedPath): Promise<Response> => {
    const r = p.resource;
    const ref = { resource: r.id, namespace: p.namespace, name: p.name ?? "" };
    const status = p.subresource === "status";
    if (p.subresource !== undefined && !status) {
      return statusResponse(404, "NotFound", `subresource ${p.subresource} not found`);
    }
    if (r.namespaced && p.name !== undefined && !p.namespace) {
      return statusResponse(404, "NotFound", "namespaced object requested without namespace");
    }
    if (p.name === undefined) {
      if (req.method === "GET") {
        if (url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1") {
          return watches.open(r, p.namespace, url.searchParams);
        }
        return list(p, url.searchParams);
      }
      if (req.method === "POST") {
        const body = await req.json() as KubeJson;
        if (r.namespaced) body.metadata.namespace ??= p.namespace;
        delete body.metadata.resourceVersion;
        return json(withWire(r, store.create(r.id, body)), 201);
      }
      return statusResponse(405, "MethodNotAllowed", `${req.method} is not allowed here`);
    }
    if (req.method === "GET") {
      const o = store.get(ref);
      return o
        ? json(withWire(r, o))
        : statusResponse(404, "NotFound", `${r.plural} "${p.name}" not found`);
    }
    if (req.method === "DELETE") return json(withWire(r, store.delete(ref)));
    if (req.method === "PUT") {
      const body = await req.json() as KubeJson;
      body.metadata ??= { name: p.name };
      if (body.metadata.name !== p.name) {
        return statusResponse(400, "BadRequest", "metadata.name does not match the URL");
      }
      body.metadata.namespace = p.namespace;
      return json(withWire(r, store.update(r.id, body, { status })));
    }
    if (req.method === "PATCH") {
      const type = req.headers.get("content-type")?.split(";")[0].trim();
      if (type !== "application/merge-patch+json") {
        return statusResponse(415, "UnsupportedMediaType", `unsupported patch type: ${type}`);
      }
      const current = store.get(ref);
      if (!current) return statusResponse(404, "NotFound", `${r.plural} "${p.name}" not found`);
      const patch = await req.json();
      const merged = mergePatch(current, patch) as KubeJson;
      return json(withWire(r, store.update(r.id, merged, { status })));
    }
    return statusResponse(405, "MethodNotAllowed", `${req.method} is not allowed here`);
  };

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const auth = req.headers.get("authorization") ?? "";
    const presented = auth.startsWith("Bearer ") ? auth.slice(7) : undefined;
    const record: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      token: presented,
      at: performance.now(),
    };
    requests.push(record);
    const done = (res: Response) => {
      record.status = res.status;
      return res;
    };
    if (presented === undefined || (presented !== token && !extraTokens.has(presented))) {
      return done(statusResponse(401, "Unauthorized", "Unauthorized"));
    }
    const isWatch = url.searchParams.get("watch") === "true";
    for (const h of [...holds]) if (matches(h.match, req, url, isWatch)) await h.released;
    const rule = failures.find((f) => matches(f, req, url, isWatch));
    if (rule) {
      rule.count = (rule.count ?? 1) - 1;
      if (rule.count <= 0) failures.splice(failures.indexOf(rule), 1);
      const headers = rule.retryAfter === undefined
        ? {}
        : { "retry-after": String(rule.retryAfter) };
      return done(statusResponse(rule.status, "InjectedFailure", "injected failure", headers));
    }
    const p = parsePath(url.pathname);
    if (!p || missing.has(p.resource.plural)) {
      return done(
        statusResponse(404, "NotFound", "the server could not find the requested resource"),
      );
    }
    try {
      return done(await handle(req, url, p));
    } catch (err) {
      if (err instanceof FakeApiError) {
        return done(statusResponse(err.code, err.reason, err.message));
      }
      if (err instanceof SyntaxError) return done(statusResponse(400, "BadRequest", err.message));
      throw err;
    }
  };

  const innerPort = await new Promise<number>((resolve) => {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      ...(options.noDelayTls ? {} : { cert: pki.certPem, key: pki.keyPem }),
      onListen: (addr) => resolve(addr.port),
      onError: (err) => statusResponse(500, "InternalError", String(err)),
    }, handler);
  });
  // Clients connect through a TCP forwarder so that "down" can refuse and cut connections.
  const front = options.noDelayTls
    ? await startTlsFront(innerPort, pki, options.port ?? 0)
    : startTcpFront(innerPort, options.port ?? 0);
  const port = front.port;

  const fake: FakeKube = {
    get url() {
      return `https://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get isUp() {
      return front.isUp;
    },
    pki,
    store,
    watches,
    get token() {
      return token;
    },
    set token(value: string) {
      token = value;
    },
    extraTokens,
    requests,
    apply(object) {
      const o = structuredClone(object) as KubeJson;
      const r = resourceOf(String(o.apiVersion), String(o.kind));
      const ref = { resource: r.id, namespace: o.metadata.namespace, name: o.metadata.name };
      const current = store.get(ref);
      if (!current) {
        const created = store.create(r.id, o);
        return o.status === undefined
          ? created
          : store.update(r.id, { ...created, status: o.status }, { status: true });
      }
      delete o.metadata.resourceVersion;
      const updated = store.update(r.id, o);
      return "status" in o ? store.update(r.id, o, { status: true }) : updated;
    },
    remove(apiVersion, kind, namespace, name) {
      store.delete({ resource: resourceOf(apiVersion, kind).id, namespace, name });
    },
    get(apiVersion, kind, namespace, name) {
      return store.get({ resource: resourceOf(apiVersion, kind).id, namespace, name });
    },
    setMissing(plural, isMissing) {
      if (isMissing) missing.add(plural);
      else missing.delete(plural);
    },
    failNext(rule) {
      failures.push({ ...rule });
    },
    hold(match) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => release = resolve);
      const entry = { match, released, release };
      holds.add(entry);
      return () => {
        holds.delete(entry);
        release();
      };
    },
    down() {
      watches.terminateAll();
      front.down();
      return Promise.resolve();
    },
    async up() {
      await front.up();
    },
    async writeKubeconfig(path, auth) {
      const given = typeof auth === "string" ? { token: auth } : auth ?? {};
      const user = given.tokenFile !== undefined
        ? `    tokenFile: ${JSON.stringify(given.tokenFile)}`
        : `    token: ${given.token ?? token}`;
      const text = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: fake",
        "  cluster:",
        `    server: https://127.0.0.1:${port}`,
        `    certificate-authority: ${pki.caFile}`,
        "users:",
        "- name: tester",
        "  user:",
        user,
        "contexts:",
        "- name: fake",
        "  context: { cluster: fake, user: tester, namespace: default }",
        "current-context: fake",
        "",
      ].join("\n");
      await Deno.writeTextFile(path, text);
      return path;
    },
    async close() {
      for (const h of holds) h.release();
      holds.clear();
      watches.close();
      front.down();
      await server.shutdown();
    },
    [Symbol.asyncDispose]() {
      return fake.close();
    },
  };
  return fake;
}
