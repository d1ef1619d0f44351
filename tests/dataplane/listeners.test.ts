import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createListenerManager } from "../../src/dataplane/listeners.ts";
import type { PortServeContext } from "../../src/dataplane/port_server.ts";
import { serveHttp } from "../../src/dataplane/port_server.ts";
import { createLogger } from "../../src/log/logger.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import type { RouteTable } from "../../src/router/router.ts";
import type { GatewayConfig } from "../../src/model/config.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePorts } from "../_helpers/gateway_process.ts";
import { backend, testConfig } from "./_config.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { flushTasks } from "../_helpers/fake_clock.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

function twoPorts(
  a: number,
  b: number,
  echoPort: number,
  protocolB: "HTTP" | "HTTPS" = "HTTP",
): GatewayConfig {
  const first = testConfig(a, [{ path: "/", backends: [backend("echo", [echoPort])] }]);
  const second = testConfig(b, [{ path: "/", backends: [backend("echo", [echoPort])] }], protocolB);
  return { ports: [...first.ports, ...second.ports], rules: first.rules };
}

async function status(port: number): Promise<number | string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    await res.body?.cancel();
    return res.status;
  } catch (error) {
    return (error as Error).name;
  }
}

Deno.test("every port of the config is bound, and a removed port is closed", async () => {
  await using echo = startEchoBackend();
  const [a, b] = freePorts(2);
  let table: RouteTable = compileRouteTable(twoPorts(a, b, echo.port));
  const manager = createListenerManager({ getTable: () => table, hostname: "127.0.0.1" });
  try {
    const states = await manager.reconcile({ config: table.config });
    assertEquals(states, [
      { port: Math.min(a, b), protocol: "HTTP", bound: true },
      { port: Math.max(a, b), protocol: "HTTP", bound: true },
    ]);
    assert(manager.ready());
    assertEquals([await status(a), await status(b)], [200, 200]);

    table = compileRouteTable(
      testConfig(a, [{ path: "/", backends: [backend("echo", [echo.port])] }]),
    );
    assertEquals(await manager.reconcile({ config: table.config }), [{
      port: a,
      protocol: "HTTP",
      bound: true,
    }]);
    assertEquals(await status(a), 200);
    assertEquals(await status(b), "TypeError");
  } finally {
    await manager.shutdown({ graceMs: 1000 });
  }
});

Deno.test("the same port on two pool addresses is two sockets, each serving its own config", async () => {
  await using one = startEchoBackend({ name: "one" });
  await using two = startEchoBackend({ name: "two" });
  const [port] = freePorts(1);
  const onAddress = (address: string, echoPort: number, rule: string): GatewayConfig => {
    const config = testConfig(port, [{ path: "/", backends: [backend("echo", [echoPort])] }]);
    const [only] = config.ports;
    // Distinct rule ids, so the two listeners do not share a rule.
    const [[id, ruleConfig]] = [...config.rules];
    const listeners = only.listeners.map((l) => ({
      ...l,
      virtualHosts: l.virtualHosts.map((v) => ({
        ...v,
        matches: v.matches.map((m) => ({ ...m, rule: `${id}-${rule}` })),
      })),
    }));
    return {
      ports: [{ ...only, address, listeners }],
      rules: ruleMapOf({ [`${id}-${rule}`]: { ...ruleConfig, id: `${id}-${rule}` } }),
    };
  };
  const a = onAddress("127.36.0.1", one.port, "a");
  const b = onAddress("127.36.0.2", two.port, "b");
  let table = compileRouteTable({
    ports: [...a.ports, ...b.ports],
    rules: ruleMapOf([...a.rules, ...b.rules]),
  });
  const manager = createListenerManager({ getTable: () => table, hostname: "127.0.0.1" });
  const name = async (address: string) => {
    const res = await fetch(`http://${address}:${port}/`);
    return (await res.json() as { name: string }).name;
  };
  try {
    assertEquals(await manager.reconcile({ config: table.config }), [
      { address: "127.36.0.1", port, protocol: "HTTP", bound: true },
      { address: "127.36.0.2", port, protocol: "HTTP", bound: true },
    ]);
    assertEquals([await name("127.36.0.1"), await name("127.36.0.2")], ["one", "two"]);
    assertEquals(await status(port), "TypeError", "the listen host is not bound");

    table = compileRouteTable(b);
    assertEquals(await manager.reconcile({ config: table.config }), [
      { address: "127.36.0.2", port, protocol: "HTTP", bound: true },
    ]);
    assertEquals(await name("127.36.0.2"), "two");
    const gone = await fetch(`http://127.36.0.1:${port}/`).then(() => false, () => true);
    assert(gone, "the removed address's socket is closed");
  } finally {
    await manager.shutdown({ graceMs: 1000 });
  }
});

Deno.test("a port in use is reported, the others still serve, and it is bound once free", async () => {
  await using echo = startEchoBackend();
  const [a, b] = freePorts(2);
  const squatter = Deno.listen({ hostname: "127.0.0.1", port: b });
  const lines: string[] = [];
  const logger = createLogger({ level: "error", write: (l) => lines.push(l) });
  const table = compileRouteTable(twoPorts(a, b, echo.port));
  const manager = createListenerManager({ getTable: () => table, hostname: "127.0.0.1", logger });
  try {
    const states = await manager.reconcile({ config: table.config });
    assertEquals(states.find((s) => s.port === a), { port: a, protocol: "HTTP", bound: true });
    const failed = states.find((s) => s.port === b)!;
    assertEquals(failed.bound, false);
    assertStringIncludes(failed.error!, `Cannot bind HTTP listener on 127.0.0.1:${b}`);
    assertEquals(manager.ready(), false);
    assertEquals(await status(a), 200);
    assert(lines.some((l) => l.includes("Cannot bind")));

    squatter.close();
    const again = await manager.reconcile({ config: table.config });
    assertEquals(again.find((s) => s.port === b), { port: b, protocol: "HTTP", bound: true });
    assert(manager.ready());
  } finally {
    try {
      squatter.close();
    } catch { /* closed above */ }
    await manager.shutdown({ graceMs: 1000 });
  }
});

Deno.test("an HTTPS factory that cannot serve its port is reported, the others still serve", async () => {
  await using echo = startEchoBackend();
  const [a, b] = freePorts(2);
  const lines: string[] = [];
  const table = compileRouteTable(twoPorts(a, b, echo.port, "HTTPS"));
  const manager = createListenerManager({
    getTable: () => table,
    hostname: "127.0.0.1",
    logger: createLogger({ level: "error", write: (l) => lines.push(l) }),
    servers: {
      HTTPS: () => {
        throw new Error("no usable certificate");
      },
    },
  });
  try {
    const states = await manager.reconcile({ config: table.config });
    const failed = states.find((s) => s.port === b)!;
    assertEquals(failed.bound, false);
    assertStringIncludes(
      failed.error!,
      `Cannot bind HTTPS listener on 127.0.0.1:${b}: no usable certificate`,
    );
    assert(lines.some((l) => l.includes("no usable certificate")));
    assertEquals(manager.ready(), false);
    assertEquals(await status(a), 200);
  } finally {
    await manager.shutdown();
  }
});

Deno.test("HTTPS ports go through the HTTPS factory, which sees config updates", async () => {
  await using echo = startEchoBackend();
  const [a, b] = freePorts(2);
  const config = twoPorts(a, b, echo.port, "HTTPS");
  const table = compileRouteTable(config);
  const seen: PortServeContext[] = [];
  const updates: number[] = [];
  const manager = createListenerManager({
    getTable: () => table,
    hostname: "127.0.0.1",
    servers: {
      // Stands in for the TLS server: the seam under test is what the manager hands over.
      HTTPS: (ctx) => {
        seen.push(ctx);
        const server = serveHttp(ctx);
        return { shutdown: server.shutdown, update: (pc) => void updates.push(pc.port) };
      },
    },
  });
  try {
    await manager.reconcile({ config, certificates: [] });
    assertEquals(seen.map((c) => [c.port, c.portConfig.protocol, c.hostname]), [[
      b,
      "HTTPS",
      "127.0.0.1",
    ]]);
    await manager.reconcile({ config, certificates: [] });
    assertEquals(updates, [b]);
    assertEquals(seen.length, 1);
    assert(manager.ready());
  } finally {
    await manager.shutdown({ graceMs: 1000 });
  }
});

Deno.test("shutdown stops accepting and waits for in-flight requests", async () => {
  await using echo = startEchoBackend();
  const [a] = freePorts(1);
  const table = compileRouteTable(
    testConfig(a, [{ path: "/", backends: [backend("echo", [echo.port])] }]),
  );
  const manager = createListenerManager({ getTable: () => table, hostname: "127.0.0.1" });
  await manager.reconcile({ config: table.config });
  const inFlight = fetch(`http://127.0.0.1:${a}/slow`, { headers: { "x-echo-action": "hold" } });
  await waitFor("the request held at the backend", () => echo.held() === 1);
  const draining = manager.shutdown({ graceMs: 60_000 });
  let drainedEarly = false;
  draining.then(() => drainedEarly = echo.held() > 0);
  await flushTasks();
  echo.release();
  const drained = await draining;
  assert(!drainedEarly, "shutdown returned before the request finished");
  const res = await inFlight;
  assertEquals(res.status, 200);
  assertEquals((await res.json()).target, "/slow");
  assert(drained);
  assertEquals(manager.ready(), false);
  assertEquals(await status(a), "TypeError");
});
