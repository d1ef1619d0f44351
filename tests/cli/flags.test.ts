import { assertEquals, assertThrows } from "@std/assert";
import { envName, FLAGS } from "../../src/cli/flag_table.ts";
import { parseCommandLine, UsageError } from "../../src/cli/flags.ts";
import { gatewayOptionsFromFlags } from "../../src/cli/gateway_options_from_flags.ts";
import { helpText } from "../../src/cli/help.ts";

const options = (args: string[], env: Record<string, string> = {}) =>
  gatewayOptionsFromFlags(parseCommandLine(args, env), env);

Deno.test("no command means run, with every documented default", () => {
  const parsed = parseCommandLine([], {});
  assertEquals(parsed.command, "run");
  assertEquals(options([]), {
    source: "auto",
    manifests: undefined,
    kubeconfig: undefined,
    controllerName: "gateway.serval.dev/controller",
    listenHost: "0.0.0.0",
    adminAddr: { hostname: "127.0.0.1", port: 9901 },
    telemetryAddr: { hostname: "0.0.0.0", port: 9902 },
    logLevel: "info",
    logFormat: "json",
    requestPolicy: {
      underscoreHeaders: "drop",
      xffTrustedHops: 0,
      escapedSlashes: "keep",
      accessLog: false,
    },
    upstreamTimeoutMs: 15_000,
    upstreamSendTimeoutMs: 60_000,
    drainDelayMs: 5_000,
    shutdownTimeoutMs: 25_000,
    workers: 1,
    maxConnections: 0,
    maxConnectionsPerPort: 0,
    clientTimeouts: { headerMs: 10_000, idleMs: 60_000, bodyMs: 30_000, streamMs: 0 },
    upgrades: { mode: "auto", maxConnections: 1000, idleMs: 300_000 },
    http1Engine: undefined,
    sockets: undefined,
    leaderElect: false,
    leaderElectionNamespace: undefined,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    gatewayAddresses: [],
    gatewayService: undefined,
    gatewayAddressPool: undefined,
  });
});

Deno.test("--gateway-address-pool reads an IPv4 or IPv6 CIDR, from the flag or SERVAL_GATEWAY_ADDRESS_POOL", () => {
  assertEquals(
    options(["--gateway-address-pool", "127.32.0.9/24"]).gatewayAddressPool,
    "127.32.0.0/24",
  );
  assertEquals(
    options([], { SERVAL_GATEWAY_ADDRESS_POOL: "10.1.0.0/16" }).gatewayAddressPool,
    "10.1.0.0/16",
  );
  assertEquals(
    options(["--gateway-address-pool", "FD00:32::9/64"]).gatewayAddressPool,
    "fd00:32::/64",
  );
  for (const bad of ["127.32.0.0", "127.32.0.0/33", "fd00::/129", "300.0.0.0/8", "x/24"]) {
    assertThrows(
      () => options(["--gateway-address-pool", bad]),
      UsageError,
      `Cannot parse --gateway-address-pool: current value is "${bad}"`,
    );
  }
});

Deno.test("--gateway-address-pool excludes --gateway-address and --gateway-service", () => {
  assertThrows(
    () => options(["--gateway-address-pool", "127.32.0.0/24", "--gateway-address", "10.0.0.1"]),
    UsageError,
    "Cannot use --gateway-address with --gateway-address-pool",
  );
  assertThrows(
    () => options(["--gateway-service", "a/b"], { SERVAL_GATEWAY_ADDRESS_POOL: "127.32.0.0/24" }),
    UsageError,
    "Cannot use --gateway-service with SERVAL_GATEWAY_ADDRESS_POOL",
  );
});

Deno.test("run accepts --flag value and --flag=value", () => {
  const o = options([
    "run",
    "--manifests",
    "examples",
    "--admin-addr=[::1]:0",
    "--drain-delay=1m30s",
  ]);
  assertEquals(o.manifests, "examples");
  assertEquals(o.adminAddr, { hostname: "::1", port: 0 });
  assertEquals(o.drainDelayMs, 90_000);
});

Deno.test("every flag reads SERVAL_<FLAG_NAME> and the flag wins over it", () => {
  const env = {
    SERVAL_ADMIN_ADDR: "127.0.0.1:1111",
    SERVAL_TELEMETRY_ADDR: "off",
    SERVAL_GATEWAY_ADDRESS: "10.0.0.1, 10.0.0.2",
    SERVAL_LEADER_ELECT: "false",
    SERVAL_UPSTREAM_TIMEOUT: "2s",
    SERVAL_UPSTREAM_SEND_TIMEOUT: "0s",
  };
  const o = options(["--admin-addr", "127.0.0.1:2222"], env);
  assertEquals(o.adminAddr.port, 2222);
  assertEquals(o.telemetryAddr, null);
  assertEquals(o.gatewayAddresses, ["10.0.0.1", "10.0.0.2"]);
  assertEquals(o.leaderElect, false);
  assertEquals(o.upstreamTimeoutMs, 2000);
  assertEquals(o.upstreamSendTimeoutMs, 0);
  assertEquals(envName("leader-election-namespace"), "SERVAL_LEADER_ELECTION_NAMESPACE");
});

Deno.test("--leader-elect defaults to true in a pod and accepts =false and --no-", () => {
  const pod = { KUBERNETES_SERVICE_HOST: "10.96.0.1" };
  assertEquals(options([], pod).leaderElect, true);
  assertEquals(options(["--leader-elect=false"], pod).leaderElect, false);
  assertEquals(options(["--no-leader-elect"], pod).leaderElect, false);
  assertEquals(options(["--leader-elect"]).leaderElect, true);
});

Deno.test("leader-election timings are durations; shorter ones are accepted when consistent", () => {
  const o = options([
    "--leader-election-lease-duration",
    "3s",
    "--leader-election-renew-deadline",
    "2s",
    "--leader-election-retry-period",
    "250ms",
  ]);
  assertEquals([o.leaseDurationMs, o.renewDeadlineMs, o.retryPeriodMs], [3000, 2000, 250]);
});

Deno.test("--gateway-address is repeatable and --gateway-service is NS/NAME", () => {
  const o = options([
    "--gateway-address",
    "192.0.2.1",
    "--gateway-address=gw.example.com",
    "--gateway-service",
    "serval/gateway",
  ]);
  assertEquals(o.gatewayAddresses, ["192.0.2.1", "gw.example.com"]);
  assertEquals(o.gatewayService, { namespace: "serval", name: "gateway" });
});

Deno.test("bad values name the flag and the value", () => {
  const cases: [string[], string][] = [
    [["--admin-addr", "x"], 'Cannot parse --admin-addr: current value is "x"'],
    [["--telemetry-addr", "1.2.3.4"], 'Cannot parse --telemetry-addr: current value is "1.2.3.4"'],
    [["--drain-delay", "5"], 'Cannot parse --drain-delay: current value is "5"'],
    [["--source", "etcd"], 'Cannot parse --source: current value is "etcd"'],
    [["--log-level", "loud"], 'Cannot parse --log-level: current value is "loud"'],
    [["--log-format", "xml"], 'Cannot parse --log-format: current value is "xml"'],
    [["--leader-elect=maybe"], 'Cannot parse --leader-elect: current value is "maybe"'],
    [["--gateway-service", "nope"], 'Cannot parse --gateway-service: current value is "nope"'],
    [["--workers", "0"], 'Cannot parse --workers: current value is "0"'],
    [["--workers", "two"], 'Cannot parse --workers: current value is "two"'],
    [["--access-log", "yes"], 'Cannot parse --access-log: current value is "yes"'],
    [
      ["--leader-election-lease-duration", "5s"],
      'Cannot parse --leader-election-renew-deadline: current value is "10s" (expected less than the lease duration, 5000 ms)',
    ],
    [
      ["--leader-election-renew-deadline", "2s", "--leader-election-retry-period", "2s"],
      'Cannot parse --leader-election-retry-period: current value is "2s"',
    ],
    [
      ["--leader-election-retry-period", "0s"],
      'Cannot parse --leader-election-retry-period: current value is "0s"',
    ],
    [["--admin-addr", "127.0.0.1:70000"], 'Cannot parse --admin-addr: current value is "127.0.0.1'],
    [["--source", "files"], "Cannot use --source files: --manifests DIR is required"],
  ];
  for (const [args, message] of cases) {
    assertThrows(() => options(args), UsageError, message);
  }
});

Deno.test("--sockets takes auto, libc or deno, or SERVAL_SOCKETS; anything else is a usage error", () => {
  assertEquals(options(["--sockets", "libc"]).sockets, "libc");
  assertEquals(options(["--sockets=auto"]).sockets, "auto");
  assertEquals(options([], { SERVAL_SOCKETS: "deno" }).sockets, "deno");
  assertThrows(
    () => options(["--sockets", "epoll"]),
    UsageError,
    'Cannot parse --sockets: current value is "epoll" (expected auto, libc or deno)',
  );
});

Deno.test("--workers takes a count, auto (one per CPU) or SERVAL_WORKERS", () => {
  assertEquals(options(["--workers", "2"]).workers, 2);
  assertEquals(options(["--workers", "auto"]).workers, navigator.hardwareConcurrency);
  assertEquals(options([], { SERVAL_WORKERS: "3" }).workers, 3);
});

Deno.test("connection limits and client timeouts: counts, auto, durations, 0s turns one off", () => {
  const o = options([
    "--max-connections",
    "5000",
    "--max-connections-per-port",
    "100",
    "--client-header-timeout",
    "5s",
    "--client-idle-timeout=0s",
    "--client-body-timeout",
    "1m",
    "--client-stream-timeout",
    "1h",
  ]);
  assertEquals(o.maxConnections, 5000);
  assertEquals(o.maxConnectionsPerPort, 100);
  assertEquals(o.clientTimeouts, {
    headerMs: 5_000,
    idleMs: 0,
    bodyMs: 60_000,
    streamMs: 3_600_000,
  });
  assertEquals(options(["--max-connections", "auto"]).maxConnections, 0);
  assertEquals(options([], { SERVAL_CLIENT_BODY_TIMEOUT: "2s" }).clientTimeouts?.bodyMs, 2_000);
  for (
    const [args, message] of [
      [["--max-connections", "many"], 'Cannot parse --max-connections: current value is "many"'],
      [
        ["--max-connections-per-port=-1"],
        'Cannot parse --max-connections-per-port: current value is "-1"',
      ],
      [
        ["--client-header-timeout", "10"],
        'Cannot parse --client-header-timeout: current value is "10"',
      ],
    ] as [string[], string][]
  ) {
    assertThrows(() => options(args), UsageError, message);
  }
});

Deno.test("a bad environment value names the variable", () => {
  assertThrows(
    () => options([], { SERVAL_SHUTDOWN_TIMEOUT: "soon" }),
    UsageError,
    'Cannot parse SERVAL_SHUTDOWN_TIMEOUT: current value is "soon"',
  );
});

Deno.test("unknown flags, missing values and stray arguments are usage errors", () => {
  assertThrows(() => parseCommandLine(["--bogus"], {}), UsageError, 'unknown flag "--bogus"');
  assertThrows(() => parseCommandLine(["--admin-addr"], {}), UsageError, "a value is required");
  assertThrows(() => parseCommandLine(["serve"], {}), UsageError, 'unexpected argument "serve"');
});

Deno.test("translate takes paths; version and -h are commands", () => {
  assertEquals(parseCommandLine(["translate", "a.yaml", "dir"], {}).positionals, ["a.yaml", "dir"]);
  assertEquals(parseCommandLine(["version"], {}).command, "version");
  assertEquals(parseCommandLine(["-h"], {}).command, "help");
  assertEquals(parseCommandLine(["run", "--help"], {}).command, "help");
});

Deno.test("--help documents every flag and its environment variable", () => {
  const text = helpText();
  for (const flag of FLAGS) {
    assertEquals(text.includes(`--${flag.name}`), true, flag.name);
    assertEquals(text.includes(envName(flag.name)), true, envName(flag.name));
  }
});

Deno.test("upgrade flags: mode, limit and idle timeout; an unknown mode is a usage error", () => {
  const args = ["--upgrades", "on", "--max-upgraded-connections", "5", "--upgrade-idle-timeout"];
  assertEquals(options([...args, "30s"]).upgrades, {
    mode: "on",
    maxConnections: 5,
    idleMs: 30_000,
  });
  assertThrows(() => options(["--upgrades", "maybe"]), UsageError, "expected auto, on or off");
});
