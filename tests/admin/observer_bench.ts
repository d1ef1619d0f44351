/**
 * Cost of recording one request: the gateway's observer against prom-client's
 * own Counter and Histogram with the same labels. Run with
 * `deno bench tests/admin/observer_bench.ts`.
 */
import { Counter, Histogram, Registry } from "prom-client";
import { createMetrics } from "../../src/admin/metrics.ts";
import { REQUEST_DURATION_BUCKETS } from "../../src/admin/request_metrics.ts";
import type { RequestRecord } from "../../src/dataplane/observer.ts";

const records: RequestRecord[] = [];
for (let i = 0; i < 64; i++) {
  records.push({
    listener: `gateway/default/gw/listener/l${i % 4}`,
    route: `httproute/default/route-${i % 16}/rule/0`,
    method: i % 5 === 0 ? "POST" : "GET",
    status: i % 7 === 0 ? 404 : 200,
    durationSeconds: (i % 10) / 1000,
  });
}

const metrics = createMetrics({ defaultMetrics: false });
let n = 0;
Deno.bench("observer.onRequest (nested maps)", { group: "request", baseline: true }, () => {
  metrics.observer.onRequest(records[n++ & 63]);
});

const registry = new Registry();
const counter = new Counter({
  name: "c",
  help: "c",
  labelNames: ["listener", "route", "method", "code"],
  registers: [registry],
});
const histogram = new Histogram({
  name: "h",
  help: "h",
  labelNames: ["listener", "route"],
  buckets: [...REQUEST_DURATION_BUCKETS],
  registers: [registry],
});
let m = 0;
Deno.bench("prom-client Counter.inc + Histogram.observe", { group: "request" }, () => {
  const r = records[m++ & 63];
  counter.inc({ listener: r.listener, route: r.route, method: r.method, code: String(r.status) });
  histogram.observe({ listener: r.listener, route: r.route }, r.durationSeconds);
});
