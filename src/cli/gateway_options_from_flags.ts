/**
 * Turns raw flag values into validated {@linkcode GatewayOptions}. Every bad
 * value becomes a {@linkcode UsageError} naming the flag (or the environment
 * variable it came from) and the value: `Cannot parse --admin-addr: current
 * value is "x"`.
 * @module
 */
import { DEFAULT_REQUEST_POLICY, type RequestPolicy } from "../dataplane/request_policy.ts";
import { DEFAULT_CLIENT_TIMEOUTS } from "../dataplane/client_timeouts.ts";
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

/** `--underscore-headers`, `--xff-trusted-hops`, `--path-escaped-slashes`. */
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
  };
}

/**
 * Validates `parsed.flags`. `env` decides defaults that depend on where the
 * process runs (`--leader-elect` defaults to true inside a pod).
 */
export function gatewayOptionsFromFlags(
  parsed: Pick<ParsedCommandLine, "flags" | "origin">,
  env: Record<string, string | undefined>,
): GatewayOptions {
  const { flags, origin } = parsed;
  const str = (name: string): string | undefined => {
    const value = flags[name];
    return typeof value === "string" ? value : undefined;
  };
  const bad = (name: string, value: string, why?: string): never => {
    const where = origin[name] ?? `--${name}`;
    throw new UsageError(
      `Cannot parse ${where}: current value is "${value}"${why ? ` (${why})` : ""}`,
    );
  };
  const duration = (name: string, fallback: number): number => {
    const text = str(name);
    if (text === undefined) return fallback;
    return parseFlagDuration(text) ?? bad(name, text, "expected a duration such as 15s or 500ms");
  };

  const sourceText = str("source") ?? "auto";
  if (!["auto", "kube", "files"].includes(sourceText)) {
    bad("source", sourceText, "expected auto, kube or files");
  }
  const source = sourceText as SourceChoice;
  const manifests = str("manifests");
  if (manifests === "") bad("manifests", manifests);
  if (source === "files" && manifests === undefined) {
    throw new UsageError("Cannot use --source files: --manifests DIR is required");
  }

  const controllerName = str("controller-name") ?? DEFAULT_CONTROLLER_NAME;
  // A domain-prefixed path, as GatewayClass.spec.controllerName requires.
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$/.test(controllerName)) {
    bad("controller-name", controllerName, "expected a domain-prefixed path");
  }

  const listenHost = str("listen-host") ?? "0.0.0.0";
  if (!isBindHost(listenHost)) bad("listen-host", listenHost, "expected an IP address or host");

  const adminText = str("admin-addr") ?? "127.0.0.1:9901";
  const adminAddr = parseHostPort(adminText) ?? bad("admin-addr", adminText, "expected HOST:PORT");

  const admin = adminFromFlags(flags, str, bad);

  const telemetryText = str("telemetry-addr") ?? "0.0.0.0:9902";
  const telemetryAddr = telemetryText === "off" ? null : parseHostPort(telemetryText) ??
    bad("telemetry-addr", telemetryText, 'expected HOST:PORT or "off"');

  const logLevel = str("log-level") ?? "info";
  if (!isLogLevel(logLevel)) bad("log-level", logLevel, "expected debug, info, warn or error");
  const logFormat = str("log-format") ?? "json";
  if (logFormat !== "json" && logFormat !== "text") {
    bad("log-format", logFormat, "expected json or text");
  }

  const workersText = str("workers") ?? "1";
  const workers = workersText === "auto"
    ? Math.max(1, navigator.hardwareConcurrency ?? 1)
    : /^[1-9][0-9]{0,2}$/.test(workersText)
    ? Number(workersText)
    : bad("workers", workersText, 'expected a whole number from 1 to 999, or "auto"');

  const requestPolicy = requestPolicyFromFlags(str, bad);
  const count = (name: string, fallback: number): number => {
    const value = str(name);
    if (value === undefined) return fallback;
    return /^(0|[1-9][0-9]{0,8})$/.test(value)
      ? Number(value)
      : bad(name, value, "expected a whole number from 0 to 999999999");
  };
  const clientTimeouts = {
    headerMs: duration("client-header-timeout", DEFAULT_CLIENT_TIMEOUTS.headerMs),
    idleMs: duration("client-idle-timeout", DEFAULT_CLIENT_TIMEOUTS.idleMs),
    bodyMs: duration("client-body-timeout", DEFAULT_CLIENT_TIMEOUTS.bodyMs),
    streamMs: duration("client-stream-timeout", DEFAULT_CLIENT_TIMEOUTS.streamMs),
  };

  const leaderElectionNamespace = str("leader-election-namespace");
  if (leaderElectionNamespace !== undefined && !DNS_NAME.test(leaderElectionNamespace)) {
    bad("leader-election-namespace", leaderElectionNamespace, "expected a namespace name");
  }

  // As Kubernetes controllers require: a leader must give up before its lease
  // can be taken, and must get more than one attempt at renewing before that.
  const leaseDurationMs = duration("leader-election-lease-duration", 15_000);
  const renewDeadlineMs = duration("leader-election-renew-deadline", 10_000);
  const retryPeriodMs = duration("leader-election-retry-period", 2_000);
  const text = (name: string, fallback: string) => str(name) ?? fallback;
  if (retryPeriodMs <= 0) {
    bad(
      "leader-election-retry-period",
      text("leader-election-retry-period", "2s"),
      "expected more than 0s",
    );
  }
  if (renewDeadlineMs >= leaseDurationMs) {
    bad(
      "leader-election-renew-deadline",
      text("leader-election-renew-deadline", "10s"),
      `expected less than the lease duration, ${leaseDurationMs} ms`,
    );
  }
  if (retryPeriodMs * 1.2 >= renewDeadlineMs) {
    bad(
      "leader-election-retry-period",
      text("leader-election-retry-period", "2s"),
      `expected less than the renew deadline divided by 1.2, ${renewDeadlineMs} ms`,
    );
  }

  const gatewayAddresses = (flags["gateway-address"] as string[] | undefined) ?? [];
  for (const address of gatewayAddresses) {
    if (!/^[A-Za-z0-9.:\-]+$/.test(address)) {
      bad("gateway-address", address, "expected an IP address or host name");
    }
  }

  let gatewayService: GatewayOptions["gatewayService"];
  const serviceText = str("gateway-service");
  if (serviceText !== undefined) {
    const [namespace, name, ...rest] = serviceText.split("/");
    if (rest.length > 0 || !DNS_NAME.test(namespace ?? "") || !DNS_NAME.test(name ?? "")) {
      bad("gateway-service", serviceText, "expected NAMESPACE/NAME");
    }
    gatewayService = { namespace, name };
  }

  const poolText = str("gateway-address-pool");
  let gatewayAddressPool: string | undefined;
  if (poolText !== undefined) {
    try {
      gatewayAddressPool = parseAddressPool(poolText).cidr;
    } catch {
      bad(
        "gateway-address-pool",
        poolText,
        "expected a CIDR such as 127.32.0.0/24 or fd00:32::/64",
      );
    }
    // Each Gateway publishes its own pool address; a shared one would contradict it.
    for (const other of ["gateway-address", "gateway-service"]) {
      if (flags[other] !== undefined) {
        throw new UsageError(
          `Cannot use ${origin[other] ?? `--${other}`} with ${
            origin["gateway-address-pool"] ?? "--gateway-address-pool"
          }: each Gateway publishes its own pool address`,
        );
      }
    }
  }

  const inPod = (env.KUBERNETES_SERVICE_HOST ?? "") !== "";
  const leaderElect = typeof flags["leader-elect"] === "boolean" ? flags["leader-elect"] : inPod;

  return {
    source,
    manifests,
    kubeconfig: str("kubeconfig"),
    controllerName,
    listenHost,
    adminAddr,
    ...admin,
    telemetryAddr,
    logLevel: logLevel as GatewayOptions["logLevel"],
    logFormat: logFormat as GatewayOptions["logFormat"],
    requestPolicy,
    upstreamTimeoutMs: duration("upstream-timeout", 15_000),
    drainDelayMs: duration("drain-delay", 5_000),
    shutdownTimeoutMs: duration("shutdown-timeout", 25_000),
    workers,
    maxConnections: str("max-connections") === "auto" ? 0 : count("max-connections", 0),
    maxConnectionsPerPort: count("max-connections-per-port", 0),
    clientTimeouts,
    leaderElect,
    leaderElectionNamespace,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    gatewayAddresses,
    gatewayService,
    gatewayAddressPool,
  };
}
