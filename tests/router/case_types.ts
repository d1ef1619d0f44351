/**
 * Types and small helpers of the shared router case suite (`cases.ts`).
 * @module
 */
import type { GatewayConfig } from "../../src/model/config.ts";
import { gatewayConfig, type RouteSpec } from "./builders.ts";

export interface RequestSpec {
  port?: number;
  /** The pool address the request arrived on; absent: the shared port. */
  address?: string;
  /** Default `example.com`. */
  host?: string;
  method?: string;
  /** Path, optionally with `?query`. Default `/`. */
  path?: string;
  headers?: [string, string][] | Record<string, string>;
}

export interface RouteCase {
  name: string;
  request: RequestSpec;
  expect: string | null;
}

/** The listener `listenerFor(port, host)` must return (SNI and Host selecting different ones is a 421). */
export interface ListenerCase {
  name: string;
  port: number;
  host: string;
  /** Listener name `<gateway>/<section>`, or `null` for none. */
  expect: string | null;
}

export interface RouteScenario {
  name: string;
  config: GatewayConfig;
  cases: RouteCase[];
  listenerCases?: ListenerCase[];
}

/** Single listener without hostname on port 80, routes on `*`. */
export function simple(...routes: RouteSpec[]): GatewayConfig {
  return gatewayConfig([{ name: "gw/http", virtualHosts: { "*": routes } }]);
}

/** One case: `name` reads like the spec, `expect` is a short match id or `null` (404). */
export const c = (name: string, request: RequestSpec, expect: string | null): RouteCase => ({
  name,
  request,
  expect,
});
