/**
 * The router contract: a frozen table compiled from a `GatewayConfig`, asked
 * one question per request. Implementations share one case suite
 * (`tests/router/cases.ts`).
 * @module
 */
import type { GatewayConfig, ListenerConfig, MatchConfig, RuleConfig } from "../model/config.ts";

/**
 * Request headers as the router and the handler read them, with the
 * semantics of `Headers`: `get` by name, case-insensitive, repeated fields
 * joined with ", "; `forEach` in sorted order. A `Headers` is one; the own
 * HTTP/1.1 server's fast path passes a view over its parsed fields.
 */
export interface HeaderLookup {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

/** What the router needs to know of a request. */
export interface RouteRequest {
  /** The port the connection arrived on (the listener port). */
  port: number;
  /**
   * The address the connection arrived on, when the port belongs to one
   * Gateway's pool address (`PortConfig.address`); absent: the shared port.
   */
  address?: string;
  /** Lower-case host name without port (from Host/:authority, or SNI when absent). */
  host: string;
  method: string;
  /** Normalised path, no query string. */
  path: string;
  /** Raw query string without `?` (may be empty). */
  query: string;
  headers: HeaderLookup;
}

/** The winner for a request. */
export interface RouteMatch {
  listener: ListenerConfig;
  /** The virtual host key that matched (`api.example.com`, `*.example.com` or `*`). */
  virtualHost: string;
  match: MatchConfig;
  rule: RuleConfig;
}

/** A compiled, immutable route table. */
export interface RouteTable {
  readonly config: GatewayConfig;
  /**
   * The listener a host would be served by on a port (listener isolation), if
   * any. `address`: the port's `PortConfig.address`, absent for shared ports.
   */
  listenerFor(port: number, host: string, address?: string): ListenerConfig | undefined;
  /** The match for a request, or `undefined` (404). */
  match(request: RouteRequest): RouteMatch | undefined;
}
