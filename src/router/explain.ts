/**
 * `explain`: the answer to "where would this request go, and why not
 * elsewhere?", served by the admin API at `GET /explain`. Everything it
 * returns is plain JSON.
 * @module
 */
import type {
  BackendConfig,
  FilterConfig,
  ListenerConfig,
  MatchConfig,
  RuleConfig,
} from "../model/config.ts";
import type { HeaderLookup, RouteRequest, RouteTable } from "./router.ts";
import { compileMatch, type MismatchReason } from "./compiled_match.ts";
import { hostFromAuthority } from "./host.ts";
import { normalizePath } from "./normalize_path.ts";
import { LazyQuery } from "./query_params.ts";
import { virtualHostsFor } from "./virtual_hosts_for.ts";

export type { MismatchReason } from "./compiled_match.ts";

/** A request as the data plane receives it, before normalisation. */
export interface ExplainInput {
  /** The port the request arrives on. */
  port: number;
  /** The pool address the request arrives on (`PortConfig.address`); absent: the shared port. */
  address?: string;
  /** The `Host` header or `:authority`, port allowed (`api.example.com:8443`). */
  authority: string;
  /** Default `GET`. */
  method?: string;
  /** The request target as sent: path and optional `?query` (`/a/../b?x=1`). */
  target: string;
  headers?: HeadersInit;
  /** TLS server name (SNI). Given on an HTTPS port, a different listener than the host's is a 421. */
  serverName?: string;
}

/**
 * - `routed`: a rule was selected (what the backend answers is not known here);
 * - `bad-request` (400): the authority or the path cannot be normalised;
 * - `misdirected` (421): SNI and host select different listeners;
 * - `no-listener` / `no-route` (404).
 */
export type ExplainOutcome = "routed" | "bad-request" | "misdirected" | "no-listener" | "no-route";

/** One backend a routed request may go to. */
export interface BackendChoice {
  id: string;
  weight: number;
  /** Fraction of requests (0..1) this backend receives, counting invalid backends' weight. */
  share: number;
  protocol: BackendConfig["protocol"];
  endpoints: BackendConfig["endpoints"];
}

/** How one match of the applicable virtual hosts fared. */
export interface CandidateExplanation {
  virtualHost: string;
  /** Match id. */
  match: string;
  route: string;
  rule: string;
  /** `not-evaluated`: an earlier match (in precedence order) already won. */
  result: "matched" | "no-match" | "not-evaluated";
  /** Every failing condition when `no-match`; empty otherwise. */
  reasons: MismatchReason[];
}

/** The full answer of `explain`. */
export interface Explanation {
  outcome: ExplainOutcome;
  /** What the data plane answers itself: 400, 421 or 404; absent when routed. */
  status?: 400 | 404 | 421;
  message: string;
  /** The request after normalisation (`null` where it could not be normalised). */
  request: {
    port: number;
    host: string | null;
    method: string;
    path: string | null;
    query: string;
    headers: Record<string, string>;
  };
  listener: Omit<ListenerConfig, "virtualHosts"> | null;
  /** Virtual hosts tried, in order. */
  virtualHosts: string[];
  /** The winning match. */
  match: (MatchConfig & { virtualHost: string }) | null;
  rule: {
    id: string;
    filters: FilterConfig[];
    backends: BackendChoice[];
    /** Weight of backends that could not be resolved (answered with 500). */
    invalidWeight: number;
    invalidShare: number;
    timeouts?: RuleConfig["timeouts"];
  } | null;
  /** Every match of the applicable virtual hosts, in the order they are tried. */
  candidates: CandidateExplanation[];
}

/**
 * Explain how `table` routes `input`: normalisation, listener, virtual hosts
 * tried, the winning match and rule with backend shares and endpoints, and
 * for every other candidate on that host why it did not match. The winner is
 * the table's own answer, so the explanation cannot disagree with traffic.
 *
 * @example
 * ```ts
 * import { explain } from "./explain.ts";
 * import { compileRouteTable } from "./compile_route_table.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const table = compileRouteTable({ ports: [], rules: ruleMapOf() });
 * explain(table, { port: 80, authority: "example.com", target: "/" }).outcome; // "no-listener"
 * ```
 */
export function explain(table: RouteTable, input: ExplainInput): Explanation {
  const q = input.target.indexOf("?");
  const rawPath = q === -1 ? input.target : input.target.slice(0, q);
  const host = hostFromAuthority(input.authority);
  const path = normalizePath(rawPath);
  const request = {
    port: input.port,
    ...(input.address === undefined ? {} : { address: input.address }),
    method: input.method ?? "GET",
    query: q === -1 ? "" : input.target.slice(q + 1),
    headers: new Headers(input.headers),
  };
  if (host === null) {
    return stop(
      emptyExplanation({ ...request, host, path }),
      "bad-request",
      400,
      `Cannot parse authority: current value is "${input.authority}"`,
    );
  }
  if (path === null) {
    return stop(
      emptyExplanation({ ...request, host, path }),
      "bad-request",
      400,
      `Cannot normalise path: current value is "${rawPath}"`,
    );
  }
  return explainRequest(table, { ...request, host, path }, input.serverName);
}

/**
 * Explains a request already split into host, normalised path and query, as
 * the admin API's `/explain` parses it (so nothing is joined and split again).
 * `serverName` is the TLS server name, when the request came over TLS.
 */
export function explainRequest(
  table: RouteTable,
  request: RouteRequest,
  serverName?: string,
): Explanation {
  const base = emptyExplanation(request);
  const { port, address, host } = request;
  const listener = table.listenerFor(port, host, address);
  base.listener = listener ? summary(listener) : null;
  if (serverName !== undefined && isHttpsPort(table, port, address)) {
    const sniHost = hostFromAuthority(serverName);
    const sniListener = sniHost === null ? undefined : table.listenerFor(port, sniHost, address);
    if (sniListener !== listener) {
      return stop(
        base,
        "misdirected",
        421,
        `Server name "${serverName}" selects listener ${sniListener?.id ?? "(none)"} ` +
          `but host "${host}" selects ${listener?.id ?? "(none)"}`,
      );
    }
  }
  if (!listener) {
    return stop(base, "no-listener", 404, `No listener on port ${port} accepts host "${host}"`);
  }
  const winner = table.match(request);
  const query = new LazyQuery(request.query);
  const virtualHosts = virtualHostsFor(listener, host);
  base.virtualHosts = virtualHosts.map((v) => v.hostname);
  let decided = false;
  for (const virtualHost of virtualHosts) {
    for (const match of virtualHost.matches) {
      const candidate = {
        virtualHost: virtualHost.hostname,
        match: match.id,
        route: match.route,
        rule: match.rule,
      };
      if (decided) {
        base.candidates.push({ ...candidate, result: "not-evaluated", reasons: [] });
      } else if (winner?.match === match && winner.virtualHost === virtualHost.hostname) {
        decided = true;
        base.candidates.push({ ...candidate, result: "matched", reasons: [] });
      } else {
        base.candidates.push({
          ...candidate,
          result: "no-match",
          reasons: whyNot(table, match, request, query),
        });
      }
    }
  }
  if (!winner) {
    return stop(base, "no-route", 404, `No route of listener ${listener.id} matches the request`);
  }
  base.outcome = "routed";
  base.message = `Routed by ${winner.match.id} on virtual host "${winner.virtualHost}"`;
  base.match = { ...winner.match, virtualHost: winner.virtualHost };
  base.rule = ruleSummary(winner.rule);
  return base;
}

function whyNot(
  table: RouteTable,
  match: MatchConfig,
  request: RouteRequest,
  query: LazyQuery,
): MismatchReason[] {
  if (!table.config.rules.has(match.rule)) {
    return [{ field: "config", message: `Cannot find rule "${match.rule}" in the configuration` }];
  }
  const reasons = compileMatch(match).diagnose(request, query);
  if (reasons.length === 0) {
    // Only reachable if the table and this explanation disagree: say so rather than hide it.
    reasons.push({
      field: "config",
      message: "Conditions hold but the table did not select this match",
    });
  }
  return reasons;
}

/** The explanation before anything was decided: the request as understood. */
function emptyExplanation(
  request: Omit<RouteRequest, "host" | "path"> & { host: string | null; path: string | null },
): Explanation {
  return {
    outcome: "no-listener",
    message: "",
    request: {
      port: request.port,
      host: request.host,
      method: request.method,
      path: request.path,
      query: request.query,
      headers: headerRecord(request.headers),
    },
    listener: null,
    virtualHosts: [],
    match: null,
    rule: null,
    candidates: [],
  };
}

function stop(
  base: Explanation,
  outcome: ExplainOutcome,
  status: 400 | 404 | 421,
  message: string,
): Explanation {
  return { ...base, outcome, status, message };
}

function isHttpsPort(table: RouteTable, port: number, address: string | undefined): boolean {
  return table.config.ports.some((p) =>
    p.port === port && p.address === address && p.protocol === "HTTPS"
  );
}

function summary(listener: ListenerConfig): Omit<ListenerConfig, "virtualHosts"> {
  const { virtualHosts: _, ...rest } = listener;
  return rest;
}

function ruleSummary(rule: RuleConfig): NonNullable<Explanation["rule"]> {
  const total = rule.backends.reduce((sum, b) => sum + b.weight, 0) + rule.invalidWeight;
  const share = (weight: number) => (total === 0 ? 0 : weight / total);
  return {
    id: rule.id,
    filters: rule.filters,
    backends: rule.backends.map((b) => ({
      id: b.id,
      weight: b.weight,
      share: share(b.weight),
      protocol: b.protocol,
      endpoints: b.endpoints,
    })),
    invalidWeight: rule.invalidWeight,
    invalidShare: share(rule.invalidWeight),
    ...(rule.timeouts ? { timeouts: rule.timeouts } : {}),
  };
}

function headerRecord(headers: HeaderLookup): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => out[name] = value);
  return out;
}
