/**
 * The hostile-client probes of `bench/probes.ts`, in the order they run.
 * Request-level probes share one gateway; the descriptor flood and the
 * memory probe start their own (other limits and timeouts).
 * @module
 */
import type { GatewayProcess } from "../tests/_helpers/gateway_process.ts";
import type { EchoRecord } from "../tests/_helpers/echo_backend.ts";
import { InspectorSession } from "./_inspector.ts";
import { freePort } from "./_processes.ts";
import {
  closeAll,
  mib,
  openStalled,
  processRss,
  rawRequest,
  sendAndAwaitClose,
  settle,
} from "./_hostile.ts";

/** What a probe gets. */
export interface ProbeContext {
  /** The data-plane port (route `a.example`: `/public`, `/admin`). */
  port: number;
  /** Stalled uploads the memory probe opens. */
  stalled: number;
  /** Memory probe: also call `malloc_trim(0)` in the gateway (runs it with `--allow-ffi`). */
  mallocTrim: boolean;
  /** Starts a gateway with extra flags (1 s client timeouts) and an open-file limit (0: none). */
  gateway(args?: string[], nofile?: number, denoFlags?: string[]): Promise<GatewayProcess>;
  /** Requests both echo backends received so far. */
  backendRequests(): number;
  /** One sample of the gateway's `/metrics`; undefined when not printed (an older gateway). */
  metric(
    gw: GatewayProcess,
    name: string,
    labels?: Record<string, string>,
  ): Promise<number | undefined>;
  echoed(body: string): EchoRecord;
}

/** A probe's verdict and what it saw. */
export interface ProbeOutcome {
  ok: boolean;
  result: string;
}

/** One probe. */
export interface Probe {
  name: string;
  run(ctx: ProbeContext): Promise<ProbeOutcome>;
}

const HOST = "Host: a.example\r\n";
/** For `rawRequest`, which ends the head itself. */
const HOST_LINE = "Host: a.example";
let shared: GatewayProcess | undefined;

/** The gateway the request-level probes share (started on first use, stopped by `last`). */
async function sharedGateway(ctx: ProbeContext): Promise<GatewayProcess> {
  shared ??= await ctx.gateway();
  return shared;
}

const values = (record: EchoRecord, name: string) =>
  record.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

/** `name{label}` as `+N` or `n/a`, for the result column. */
async function counted(
  ctx: ProbeContext,
  gw: GatewayProcess,
  name: string,
  labels: Record<string, string>,
): Promise<string> {
  const value = await ctx.metric(gw, name, labels);
  const shown = Object.values(labels).join(",");
  return value === undefined ? `${shown}: no metric` : `${shown}=${value}`;
}

function closeProbe(name: string, bytes: string, kind: string): Probe {
  return {
    name,
    async run(ctx) {
      const gw = await sharedGateway(ctx);
      const { answer, elapsedMs } = await sendAndAwaitClose(ctx.port, bytes, 15_000);
      const answered = answer === "" ? "nothing" : answer.split("\r\n")[0];
      const ok = elapsedMs >= 900 && elapsedMs < 10_000 && (kind !== "idle" || answer !== "");
      const timeouts = await counted(ctx, gw, "serval_client_timeouts_total", { kind });
      return {
        ok,
        result: `answered ${answered}, closed after ${elapsedMs.toFixed(0)} ms (1 s timeout); ` +
          timeouts,
      };
    },
  };
}

function requestProbe(
  name: string,
  check: (ctx: ProbeContext, gw: GatewayProcess) => Promise<ProbeOutcome>,
): Probe {
  return { name, run: async (ctx) => check(ctx, await sharedGateway(ctx)) };
}

/** Stops the shared gateway if a probe started it. */
export async function stopSharedGateway(): Promise<void> {
  const gw = shared;
  shared = undefined;
  await gw?.stop().catch(() => gw[Symbol.asyncDispose]());
}

/** Every probe, in order. */
export const PROBES: Probe[] = [
  closeProbe("silent connection", "", "header"),
  closeProbe("partial head", `GET /public/x HTTP/1.1\r\n${HOST}`, "header"),
  closeProbe("idle keep-alive", `GET /public/x HTTP/1.1\r\n${HOST}\r\n`, "idle"),
  requestProbe("stalled POST, Content-Length 65536", async (ctx, gw) => {
    const { answer, elapsedMs } = await sendAndAwaitClose(
      ctx.port,
      `POST /public/up HTTP/1.1\r\n${HOST}Content-Length: 65536\r\n\r\nx`,
      15_000,
    );
    const status = answer.split("\r\n")[0];
    const close = /\r\nconnection: close\r\n/i.test(answer);
    const body = await counted(ctx, gw, "serval_client_timeouts_total", { kind: "body" });
    return {
      ok: status.startsWith("HTTP/1.1 408") && close,
      result: `${status}${close ? " + Connection: close" : ""} after ${
        elapsedMs.toFixed(0)
      } ms; ${body}`,
    };
  }),
  requestProbe("Connection: x-internal", async (ctx) => {
    const res = await rawRequest(
      ctx.port,
      `GET /public/x HTTP/1.1\r\n${HOST}Connection: x-internal`,
    );
    const seen = values(ctx.echoed(res.body), "x-internal");
    return { ok: seen.join() === "route-set", result: `backend saw X-Internal: ${seen.join()}` };
  }),
  requestProbe("X_Internal (underscore)", async (ctx) => {
    const res = await rawRequest(ctx.port, `GET /public/x HTTP/1.1\r\n${HOST}X_Internal: evil`);
    const record = ctx.echoed(res.body);
    const under = record.headers.some(([k]) => k.toLowerCase() === "x_internal");
    return {
      ok: !under && values(record, "x-internal").join() === "route-set",
      result: under ? "X_Internal reached the backend" : "dropped; X-Internal: route-set",
    };
  }),
  requestProbe("client X-Forwarded-For", async (ctx) => {
    const res = await rawRequest(
      ctx.port,
      `GET /public/x HTTP/1.1\r\n${HOST}X-Forwarded-For: 6.6.6.6`,
    );
    const xff = values(ctx.echoed(res.body), "x-forwarded-for").join();
    return { ok: xff === "127.0.0.1", result: `backend saw X-Forwarded-For: ${xff}` };
  }),
  requestProbe("encoded separators", async (ctx, gw) => {
    const before = ctx.backendRequests();
    const paths = ["/public/..%2Fadmin", "/public/%2E%2E%2Fadmin", "/public/..%5cadmin"];
    paths.push("/public/..;/admin");
    const statuses: number[] = [];
    for (const path of paths) {
      statuses.push((await rawRequest(ctx.port, `GET ${path} HTTP/1.1\r\n${HOST_LINE}`)).status);
    }
    const reached = ctx.backendRequests() - before;
    const name = "serval_http_policy_rejections_total";
    const reasons = [
      await counted(ctx, gw, name, { reason: "escaped_slash" }),
      await counted(ctx, gw, name, { reason: "invalid_path" }),
    ];
    return {
      ok: statuses.every((s) => s === 400) && reached === 0,
      result: `${paths.map((p, i) => `${p} ${statuses[i]}`).join(", ")}; ${reached} reached a ` +
        `backend; ${reasons.join(" ")}`,
    };
  }),
  requestProbe("admin Host and Origin", async (_ctx, gw) => {
    const host = await rawRequest(gw.adminPort, "GET /config HTTP/1.1\r\nHost: evil.example");
    const origin = await rawRequest(
      gw.adminPort,
      "POST /reload HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nContent-Length: 0",
    );
    return {
      ok: host.status === 403 && origin.status === 403,
      result: `Host: evil.example ${host.status}; Origin: http://evil.example ${origin.status}`,
    };
  }),
  requestProbe("HTTP/1.1 without Host", async (ctx, gw) => {
    const res = await rawRequest(ctx.port, "GET /public/x HTTP/1.1");
    const reason = await counted(ctx, gw, "serval_http_policy_rejections_total", {
      reason: "missing_host",
    });
    return { ok: res.status === 400, result: `${res.status}; ${reason}` };
  }),
  requestProbe("client-aborted uploads", async (ctx, gw) => {
    for (const length of [1000, 200_000]) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: ctx.port });
      await conn.write(
        new TextEncoder().encode(
          `POST /public/up HTTP/1.1\r\n${HOST}Content-Length: ${length}\r\n\r\nxx`,
        ),
      );
      conn.close();
    }
    const labels = { method: "POST", code: "499" };
    const deadline = performance.now() + 15_000;
    let aborted = 0;
    while (aborted < 2 && performance.now() < deadline) {
      aborted = await ctx.metric(gw, "serval_http_requests_total", labels) ?? 0;
      if (aborted < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const text = await (await gw.admin("/metrics")).text();
    const fives = /serval_http_requests_total\{[^}]*code="5\d\d"\} [1-9]/.test(text);
    const errors = gw.logRecords().filter((r) => r.level === "error").length;
    return {
      ok: aborted === 2 && !fives && errors === 0,
      result: `${aborted} counted as 499, ${fives ? "some" : "no"} 5xx, ${errors} error log lines`,
    };
  }),
  requestProbe("bodyless DELETE/TRACE framing", async (ctx) => {
    const seen: string[] = [];
    for (const method of ["DELETE", "TRACE"]) {
      const res = await rawRequest(ctx.port, `${method} /public/x HTTP/1.1\r\n${HOST_LINE}`);
      const record = ctx.echoed(res.body);
      const framing = record.headers.filter(([k]) =>
        ["transfer-encoding", "content-length"].includes(k.toLowerCase())
      );
      seen.push(`${method}: ${framing.length === 0 ? "no framing" : framing.join()}`);
    }
    return { ok: seen.every((s) => s.endsWith("no framing")), result: seen.join(", ") };
  }),
  {
    name: "descriptor exhaustion (ulimit -n 1024)",
    async run(ctx) {
      await stopSharedGateway();
      return await descriptorFlood(ctx);
    },
  },
  { name: "stalled uploads: memory", run: (ctx) => stalledMemory(ctx) },
];

/** Floods half heads past 1024 descriptors; the admin port must answer and the data plane recover. */
async function descriptorFlood(ctx: ProbeContext): Promise<ProbeOutcome> {
  await using gw = await ctx.gateway(["--client-header-timeout", "10m"], 1024);
  const out = gw.waitForLog(
    (r) => r.msg === "Out of file descriptors: limiting client connections",
    120_000,
  );
  let seen = false;
  void out.then(() => seen = true, () => {});
  const flood: Deno.Conn[] = [];
  try {
    while (!seen && flood.length < 3000) {
      flood.push(...await openStalled(ctx.port, 50, `GET / HTTP/1.1\r\n${HOST_LINE}`));
    }
    const record = await out;
    const held = flood.length;
    const health = await gw.admin("/healthz", { signal: AbortSignal.timeout(30_000) });
    await health.body?.cancel();
    closeAll(flood);
    let status = 0;
    const deadline = performance.now() + 60_000;
    while (status !== 200 && performance.now() < deadline) {
      status = await rawRequest(ctx.port, `GET /public/back HTTP/1.1\r\n${HOST_LINE}`)
        .then((r) => r.status, () => 0);
    }
    const name = "serval_client_connections_rejected_total";
    const counts = [
      await counted(ctx, gw, name, { reason: "descriptors" }),
      await counted(ctx, gw, name, { reason: "shed" }),
    ];
    const code = (await gw.stop()).code;
    return {
      ok: health.status === 200 && status === 200 && code === 0,
      result: `${held} held; limit learned ${record.limit}, shed ${record.shed}; ` +
        `admin ${health.status} during the flood; data plane ${status} after; exit ${code}; ` +
        counts.join(" "),
    };
  } finally {
    closeAll(flood);
  }
}

const shown = (bytes: number | undefined) => bytes === undefined ? "?" : mib(bytes);

/** RSS per stalled 64 KiB upload, and what is left once they are gone (three rounds). */
async function stalledMemory(ctx: ProbeContext): Promise<ProbeOutcome> {
  await stopSharedGateway();
  const inspectPort = freePort();
  await using gw = await ctx.gateway(
    ["--client-header-timeout", "10m", "--client-body-timeout", "10m", "--max-connections", "0"],
    0,
    [`--inspect=127.0.0.1:${inspectPort}`, ...(ctx.mallocTrim ? ["--allow-ffi"] : [])],
  );
  const inspector = await InspectorSession.connect(inspectPort);
  const rss = () => processRss(gw.pid);
  // Warm the paths first: the first requests compile code and grow the heap.
  for (let i = 0; i < 20; i++) await rawRequest(ctx.port, `GET /public/w HTTP/1.1\r\n${HOST_LINE}`);
  const baseline = await settle(rss);
  const first = await inspector.memoryAfterGc();
  const rounds: string[] = [];
  let perConnection = 0;
  let after = baseline;
  for (let round = 0; round < 3; round++) {
    const conns = await openStalled(
      ctx.port,
      ctx.stalled,
      `POST /public/up HTTP/1.1\r\n${HOST}Content-Length: 65536\r\n\r\nx`,
    );
    const held = await settle(rss);
    perConnection = Math.max(perConnection, (held - after) / ctx.stalled);
    closeAll(conns);
    // Left alone for 25 s: the gateway's idle collector samples every 10 s.
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    const idle = await settle(rss);
    const gc = await inspector.memoryAfterGc();
    after = await settle(rss);
    let trimmed = "";
    if (ctx.mallocTrim) {
      await inspector.mallocTrim();
      trimmed = `, trimmed ${mib(await settle(rss))}`;
    }
    rounds.push(
      `${mib(held)}→${mib(idle)}, GC ${mib(after)} (heap ${mib(gc.heapUsed)}/${
        mib(gc.heapTotal)
      }${trimmed})`,
    );
  }
  const last = await inspector.memoryAfterGc();
  inspector.close();
  const kib = perConnection / 1024;
  return {
    ok: kib < 256,
    result: `${ctx.stalled} stalled: ${kib.toFixed(0)} KiB RSS each; RSS MiB baseline ` +
      `${mib(baseline)} (heap ${mib(first.heapUsed)}), held→idle 25 s, then forced GC, per round ` +
      `${rounds.join(", ")}; external ${shown(last.external)} MiB`,
  };
}
