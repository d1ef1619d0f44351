import { assertEquals } from "@std/assert";
import { SourceMetricsRelay } from "../../src/runtime/source_metrics_relay.ts";

function recorder() {
  const calls: string[] = [];
  return {
    calls,
    sourceSynced: (kind: string, synced: boolean) => calls.push(`synced ${kind} ${synced}`),
    watchRestarted: (kind: string) => calls.push(`restarted ${kind}`),
  };
}

Deno.test("reports made before the metrics exist are replayed once: each kind's latest sync state and every restart", () => {
  const relay = new SourceMetricsRelay();
  relay.sourceSynced("Gateway", false);
  relay.sourceSynced("HTTPRoute", false);
  relay.watchRestarted("HTTPRoute");
  relay.sourceSynced("Gateway", true);
  relay.watchRestarted("HTTPRoute");
  const metrics = recorder();
  relay.attach(metrics);
  assertEquals(metrics.calls, [
    "restarted HTTPRoute",
    "restarted HTTPRoute",
    "synced Gateway true",
    "synced HTTPRoute false",
  ]);
});

Deno.test("reports after attach go straight to the metrics, and nothing is replayed twice", () => {
  const relay = new SourceMetricsRelay();
  relay.sourceSynced("Gateway", false);
  const metrics = recorder();
  relay.attach(metrics);
  relay.sourceSynced("Gateway", true);
  relay.watchRestarted("Service");
  assertEquals(metrics.calls, ["synced Gateway false", "synced Gateway true", "restarted Service"]);
  const later = recorder();
  relay.attach(later);
  assertEquals(later.calls, []);
});
