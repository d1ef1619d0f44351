/**
 * Turns raw flag values into validated {@linkcode GatewayOptions}. Every bad
 * value becomes a {@linkcode UsageError} naming the flag (or the environment
 * variable it came from) and the value: `Cannot parse --admin-addr: current
 * value is "x"`.
 * @module
 */
import { DEFAULT_REQUEST_POLICY, type RequestPolicy } from "../dataplane/request_policy.ts";
import {
  DEFAULT_CLIENT_TIMEOUTS,
  DEFAULT_UPGRADE_SETTINGS,
  type UpgradeSettings,
} from "../dataplane/client_timeouts.ts";
import { DEFAULT_UPSTREAM_SEND_TIMEOUT_MS } from "../dataplane/upstream_connection.ts";
import { isLogLevel } from "../log/logger.ts";
import {
  DEFAULT_CONTROLLER_NAME,
  type GatewayOptions,
  type SourceChoice,
} from "../runtime/gateway_options.ts";
import { parseAddressPool } from "../translate/address_pool.ts";
import { parseFlagDuration } from "./duration.ts";
import type { ParsedCommandLine } from "./flags.ts";
import { UsageError } from "./flags.ts";
import { isBindHost, parseHostPort } from "./host_port.ts";

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `--admin-token-file`, `--admin-tls-*`, `--admin-client-ca`, `--admin-allowed-host`. */
function adminFromFlags(
  flags: ParsedCommandLine["flags"],
  str: (name: string) => string | undefined,
  bad: (name: string, value: string, why?: string) => never,
): Pick<GatewayOptions, "adminAllowedHosts" | "adminTokenFile" | "adminTls"> {
  const out: Pick<GatewayOptions, "adminAllowedHosts" | "adminTokenFile" | "adminTls"> = {};
  const hosts = (flags["admin-allowed-host"] as string[] | undefined) ?? [];
  for (const host of hosts) {
    if (!/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(host)) {
      bad("admin-allowed-host", host, "expected a host name");
    }
  }
  if (hosts.length > 0) out.adminAllowedHosts = hosts.map((h) => h.toLowerCase());
  const tokenFile = str("admin-token-file");
  if (tokenFile === "") bad("admin-token-file", tokenFile, "expected a path");
  if (tokenFile !== undefined) out.adminTokenFile = tokenFile;
  const certFile = str("admin-tls-cert");
  const keyFile = str("admin-tls-key");
  const clientCaFile = str("admin-client-ca");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError("Cannot use --admin-tls-cert without --admin-tls-key, or the reverse");
  }
  if (clientCaFile !== undefined && certFile === undefined) {
    throw new UsageError(
      "Cannot use --admin-client-ca: --admin-tls-cert and --admin-tls-key are required",
    );
  }
  if (certFile !== undefined && keyFile !== undefined) {
    out.adminTls = clientCaFile === undefined
      ? { certFile, keyFile }
      : { certFile, keyFile, clientCaFile };
  }
  return out;
}

/**
 * `--underscore-headers`, `--xff-trusted-hops`, `--path-escaped-slashes`,
 * `--access-log`.
 */
function requestPolicyFromFlags(
  str: (name: string) => string | undefined,
  bad: (name: string, value: string, why?: string) => never,
): RequestPolicy {
  const oneOf = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const text = str(name) ?? fallback;
    if (!(choices as readonly string[]).includes(text)) {
      bad(name, text, `expected ${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`);
    }
    return text as T;
  };
  const hopsText = str("xff-trusted-hops") ?? String(DEFAULT_REQUEST_POLICY.xffTrustedHops);
  if (!/^[0-9]{1,2}$/.test(hopsText)) {
    bad("xff-trusted-hops", hopsText, "expected a whole number from 0 to 99");
  }
  return {
    underscoreHeaders: oneOf(
      "underscore-headers",
      ["drop", "reject", "allow"],
      DEFAULT_REQUEST_POLICY.underscoreHeaders,
    ),
    xffTrustedHops: Number(hopsText),
    escapedSlashes: oneOf(
      "path-escaped-slashes",
      ["keep", "redirect", "reject", "unescape"],
      DEFAULT_REQUEST_POLICY.escapedSlashes,
    ),
    accessLog: oneOf("access-log", ["on", "off"], "off") === "on",
  };
}

/** Reads one command line's flags; every error names the flag as the user wrote it. */
class FlagReader {
  readonly flags: ParsedCommandLine["flags"];
  readonly origin: ParsedCommandLine["origin"];

  constructor(parsed: Pick<ParsedCommandLine, "flags" | "origin">) {
    this.flags = parsed.flags;
    this.origin = parsed.origin;
  }

  /** A string flag's value, if given. */
  readonly str = (name: string): string | undefined => {
    const value = this.flags[name];
    return typeof value === "string" ? value : undefined;
  };

  /** Throws the usage error for a flag's bad value. */
  readonly bad = (name: string, value: string, why?: string): never => {
    const where = this.origin[name] ?? `--${name}`;
    throw new UsageError(
      `Cannot parse ${where}: current value is "${value}"${why ? ` (${why})` : ""}`,
    );
  };

  duration(name: string, fallback: number): number {
    const text = this.str(name);
    if (text === undefined) return fallback;
    return parseFlagDuration(text) ??
      this.bad(name, text, "expected a duration such as 15s or 500ms");
  }

  count(name: string, fallback: number): number {
    const value = this.str(name);
    if (value === undefined) return fallback;
    return /^(0|[1-9][0-9]{0,8})$/.test(value)
      ? Number(value)
      : this.bad(name, value, "expected a whole number from 0 to 999999999");
  }
}

/**
 * Validates `parsed.flags`. `env` decides defaults that depend on where the
 * process runs (`--leader-elect` defaults to true inside a pod).
 */
export function gatewayOptionsFromFlags(
  parsed: Pick<ParsedCommandLine, "flags" | "origin">,
  env: Record<string, string | undefined>,
): GatewayOptions {
  const r = new FlagReader(parsed);
  const { str, bad } = r;
  const inPod = (env.KUBERNETES_SERVICE_HOST ?? "") !== "";
  const leaderElect = r.flags["leader-elect"];
  return {
    ...sourceFromFlags(r),
    ...listenersFromFlags(r),
    ...adminFromFlags(r.flags, str, bad),
    ...logFromFlags(r),
    requestPolicy: requestPolicyFromFlags(str, bad),
    upstreamTimeoutMs: r.duration("upstream-timeout", 15_000),
    upstreamSendTimeoutMs: r.duration("upstream-send-timeout", DEFAULT_UPSTREAM_SEND_TIMEOUT_MS),
    drainDelayMs: r.duration("drain-delay", 5_000),
    shutdownTimeoutMs: r.duration("shutdown-timeout", 25_000),
    ...connectionsFromFlags(r),
    leaderElect: typeof leaderElect === "boolean" ? leaderElect : inPod,
    ...leaderElectionFromFlags(r),
    ...addressesFromFlags(r),
  };
}

function sourceFromFlags(r: FlagReader) {
  const sourceText = r.str("source") ?? "auto";
  if (!["auto", "kube", "files"].includes(sourceText)) {
    r.bad("source", sourceText, "expected auto, kube or files");
  }
  const source = sourceText as SourceChoice;
  const manifests = r.str("manifests");
  if (manifests === "") r.bad("manifests", manifests);
  if (source === "files" && manifests === undefined) {
    throw new UsageError("Cannot use --source files: --manifests DIR is required");
  }
  const controllerName = r.str("controller-name") ?? DEFAULT_CONTROLLER_NAME;
  // A domain-prefixed path, as GatewayClass.spec.controllerName requires.
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$/.test(controllerName)) {
    r.bad("controller-name", controllerName, "expected a domain-prefixed path");
  }
  return { source, manifests, kubeconfig: r.str("kubeconfig"), controllerName };
}

function listenersFromFlags(r: FlagReader) {
  const listenHost = r.str("listen-host") ?? "0.0.0.0";
  if (!isBindHost(listenHost)) r.bad("listen-host", listenHost, "expected an IP address or host");
  const adminText = r.str("admin-addr") ?? "127.0.0.1:9901";
  const adminAddr = parseHostPort(adminText) ??
    r.bad("admin-addr", adminText, "expected HOST:PORT");
  const telemetryText = r.str("telemetry-addr") ?? "0.0.0.0:9902";
  const telemetryAddr = telemetryText === "off" ? null : parseHostPort(telemetryText) ??
    r.bad("telemetry-addr", telemetryText, 'expected HOST:PORT or "off"');
  return { listenHost, adminAddr, telemetryAddr };
}

function logFromFlags(r: FlagReader) {
  const logLevel = r.str("log-level") ?? "info";
  if (!isLogLevel(logLevel)) r.bad("log-level", logLevel, "expected debug, info, warn or error");
  const logFormat = r.str("log-format") ?? "json";
  if (logFormat !== "json" && logFormat !== "text") {
    r.bad("log-format", logFormat, "expected json or text");
  }
  return {
    logLevel: logLevel as GatewayOptions["logLevel"],
    logFormat: logFormat as GatewayOptions["logFormat"],
  };
}

function connectionsFromFlags(r: FlagReader) {
  const workersText = r.str("workers") ?? "1";
  const workers = workersText === "auto"
    ? Math.max(1, navigator.hardwareConcurrency ?? 1)
    : /^[1-9][0-9]{0,2}$/.test(workersText)
    ? Number(workersText)
    : r.bad("workers", workersText, 'expected a whole number from 1 to 999, or "auto"');
  return {
    workers,
    maxConnections: r.str("max-connections") === "auto" ? 0 : r.count("max-connections", 0),
    maxConnectionsPerPort: r.count("max-connections-per-port", 0),
    clientTimeouts: {
      headerMs: r.duration("client-header-timeout", DEFAULT_CLIENT_TIMEOUTS.headerMs),
      idleMs: r.duration("client-idle-timeout", DEFAULT_CLIENT_TIMEOUTS.idleMs),
      bodyMs: r.duration("client-body-timeout", DEFAULT_CLIENT_TIMEOUTS.bodyMs),
      streamMs: r.duration("client-stream-timeout", DEFAULT_CLIENT_TIMEOUTS.streamMs),
    },
    upgrades: upgradesFromFlags(r),
    http1Engine: http1EngineFromFlags(r),
    sockets: socketsFromFlags(r),
  };
}

/** The sockets the flag names; absent: the default (`libc_sockets.ts`). */
function socketsFromFlags(r: FlagReader): "auto" | "libc" | "deno" | undefined {
  const sockets = r.str("sockets");
  if (sockets === undefined) return undefined;
  if (sockets !== "auto" && sockets !== "libc" && sockets !== "deno") {
    r.bad("sockets", sockets, "expected auto, libc or deno");
  }
  return sockets as "auto" | "libc" | "deno";
}

/** The engine the flag names; absent: each port's default (own on HTTP, Deno's on HTTPS). */
function http1EngineFromFlags(r: FlagReader): "own" | "deno" | undefined {
  const engine = r.str("http1-engine");
  if (engine === undefined) return undefined;
  if (engine !== "own" && engine !== "deno") r.bad("http1-engine", engine, "expected own or deno");
  return engine as "own" | "deno";
}

function upgradesFromFlags(r: FlagReader): UpgradeSettings {
  const mode = r.str("upgrades") ?? DEFAULT_UPGRADE_SETTINGS.mode;
  if (mode !== "auto" && mode !== "on" && mode !== "off") {
    r.bad("upgrades", mode, "expected auto, on or off");
  }
  return {
    mode: mode as UpgradeSettings["mode"],
    maxConnections: r.count("max-upgraded-connections", DEFAULT_UPGRADE_SETTINGS.maxConnections),
    idleMs: r.duration("upgrade-idle-timeout", DEFAULT_UPGRADE_SETTINGS.idleMs),
  };
}

function leaderElectionFromFlags(r: FlagReader) {
  const leaderElectionNamespace = r.str("leader-election-namespace");
  if (leaderElectionNamespace !== undefined && !DNS_NAME.test(leaderElectionNamespace)) {
    r.bad("leader-election-namespace", leaderElectionNamespace, "expected a namespace name");
  }
  // As Kubernetes controllers require: a leader must give up before its lease
  // can be taken, and must get more than one attempt at renewing before that.
  const leaseDurationMs = r.duration("leader-election-lease-duration", 15_000);
  const renewDeadlineMs = r.duration("leader-election-renew-deadline", 10_000);
  const retryPeriodMs = r.duration("leader-election-retry-period", 2_000);
  const text = (name: string, fallback: string) => r.str(name) ?? fallback;
  if (retryPeriodMs <= 0) {
    r.bad(
      "leader-election-retry-period",
      text("leader-election-retry-period", "2s"),
      "expected more than 0s",
    );
  }
  if (renewDeadlineMs >= leaseDurationMs) {
    r.bad(
      "leader-election-renew-deadline",
      text("leader-election-renew-deadline", "10s"),
      `expected less than the lease duration, ${leaseDurationMs} ms`,
    );
  }
  if (retryPeriodMs * 1.2 >= renewDeadlineMs) {
    r.bad(
      "leader-election-retry-period",
      text("leader-election-retry-period", "2s"),
      `expected less than the renew deadline divided by 1.2, ${renewDeadlineMs} ms`,
    );
  }
  return { leaderElectionNamespace, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

function addressesFromFlags(r: FlagReader) {
  const gatewayAddresses = (r.flags["gateway-address"] as string[] | undefined) ?? [];
  for (const address of gatewayAddresses) {
    if (!/^[A-Za-z0-9.:\-]+$/.test(address)) {
      r.bad("gateway-address", address, "expected an IP address or host name");
    }
  }
  let gatewayService: GatewayOptions["gatewayService"];
  const serviceText = r.str("gateway-service");
  if (serviceText !== undefined) {
    const [namespace, name, ...rest] = serviceText.split("/");
    if (rest.length > 0 || !DNS_NAME.test(namespace ?? "") || !DNS_NAME.test(name ?? "")) {
      r.bad("gateway-service", serviceText, "expected NAMESPACE/NAME");
    }
    gatewayService = { namespace, name };
  }
  return { gatewayAddresses, gatewayService, gatewayAddressPool: addressPoolFromFlags(r) };
}

function addressPoolFromFlags(r: FlagReader): string | undefined {
  const poolText = r.str("gateway-address-pool");
  if (poolText === undefined) return undefined;
  let cidr: string | undefined;
  try {
    cidr = parseAddressPool(poolText).cidr;
  } catch {
    r.bad(
      "gateway-address-pool",
      poolText,
      "expected a CIDR such as 127.32.0.0/24 or fd00:32::/64",
    );
  }
  // Each Gateway publishes its own pool address; a shared one would contradict it.
  for (const other of ["gateway-address", "gateway-service"]) {
    if (r.flags[other] !== undefined) {
      throw new UsageError(
        `Cannot use ${r.origin[other] ?? `--${other}`} with ${
          r.origin["gateway-address-pool"] ?? "--gateway-address-pool"
        }: each Gateway publishes its own pool address`,
      );
    }
  }
  return cidr;
}
