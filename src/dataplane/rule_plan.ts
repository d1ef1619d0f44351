/**
 * A rule's plan: what the handler does for every request a rule matches,
 * worked out once per rule of a table instead of once per request. Filters
 * are grouped (header modifiers by direction, the redirect that ends the
 * request, the URL rewrite), and the effective upstream timeout is resolved.
 * Plans live beside the frozen config objects (a WeakMap), like the backend
 * picker's rotation: a new table gets new plans and old ones are collected
 * with the old table.
 *
 * @example
 * ```ts
 * import { RulePlans } from "./rule_plan.ts";
 * const plans = new RulePlans(60_000);
 * const plan = plans.planFor({ id: "r", filters: [], backends: [], invalidWeight: 0 });
 * console.log(plan.timeoutMs); // 60000: the gateway default
 * ```
 * @module
 */
import type {
  BackendConfig,
  CorsConfig,
  FilterConfig,
  HeaderModifierConfig,
  MirrorConfig,
  PathModifierConfig,
  RuleConfig,
} from "../model/config.ts";
import type { RetryTiming } from "./retry.ts";
import type { RedirectFilter } from "./redirect.ts";

/** What the handler does for a rule, decided once per rule of a table. */
export interface RulePlan {
  /** The first redirect, with the response modifiers written before it. */
  readonly redirect?: {
    readonly filter: RedirectFilter;
    readonly responseModifiers: readonly HeaderModifierConfig[];
  };
  /** The URL rewrite's host and path (a later rewrite overrides each field). */
  readonly rewriteHost?: string;
  readonly rewritePath?: PathModifierConfig;
  /** Milliseconds until the backend's response head; 0: no limit. */
  readonly timeoutMs: number;
  /** The CORS filter: preflights are answered by the gateway. */
  readonly cors?: CorsConfig;
  /** Request mirrors, in the order written. */
  readonly mirrors: readonly MirrorConfig[];
  /** The retry policy with its per-try and overall timeouts, if the rule has one. */
  readonly retry?: RetryTiming;
  /** Header modifiers of the rule and then of `backend`, by direction. */
  modifiersFor(backend: BackendConfig): BackendModifiers;
}

/** Request and response header modifiers for one backend of a rule. */
export interface BackendModifiers {
  readonly request: readonly HeaderModifierConfig[];
  readonly response: readonly HeaderModifierConfig[];
}

/** Builds and keeps the plans of the rules a handler serves. */
export class RulePlans {
  readonly #defaultTimeoutMs: number;
  readonly #plans = new WeakMap<RuleConfig, RulePlan>();
  /**
   * The plan of every rule without filters, timeouts or a retry policy (most
   * rules): one object, where each such rule kept a plan of its own from its
   * first request (~400 bytes, thousands of rules at scale). Backends with
   * filters of their own still get their modifiers built once each.
   */
  readonly #plain: RulePlan;

  /** `defaultTimeoutMs` applies to rules that set no timeout (0: none). */
  constructor(defaultTimeoutMs: number) {
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.#plain = compileRulePlan(
      { id: "", filters: [], backends: [], invalidWeight: 0 },
      defaultTimeoutMs,
    );
  }

  /** The plan of `rule`, built on first use. */
  planFor(rule: RuleConfig): RulePlan {
    if (rule.filters.length === 0 && rule.timeouts === undefined && rule.retry === undefined) {
      return this.#plain;
    }
    let plan = this.#plans.get(rule);
    if (plan === undefined) {
      plan = compileRulePlan(rule, this.#defaultTimeoutMs);
      this.#plans.set(rule, plan);
    }
    return plan;
  }
}

/** Compiles one rule's plan; `RulePlans` keeps the result. */
export function compileRulePlan(rule: RuleConfig, defaultTimeoutMs: number): RulePlan {
  const request: HeaderModifierConfig[] = [];
  const response: HeaderModifierConfig[] = [];
  let redirect: RulePlan["redirect"];
  let rewriteHost: string | undefined;
  let rewritePath: PathModifierConfig | undefined;
  let cors: CorsConfig | undefined;
  const mirrors: MirrorConfig[] = [];
  for (const filter of rule.filters) {
    if (filter.type === "RequestRedirect") {
      // Filters after a redirect never run: the redirect answers the request.
      redirect = { filter, responseModifiers: [...response] };
      break;
    }
    if (filter.type === "CORS") cors = filter;
    else if (filter.type === "RequestMirror") mirrors.push(filter);
    else if (filter.type === "URLRewrite") {
      rewriteHost = filter.hostname ?? rewriteHost;
      rewritePath = filter.path ?? rewritePath;
    } else {
      collectModifier(filter, request, response);
    }
  }
  // Made on a rule's first request and kept while the rule stays: most
  // backends have no filters of their own and share the rule's modifiers;
  // only backends with filters get an entry (a WeakMap per rule cost more).
  const plain: BackendModifiers = { request, response };
  let byBackend: WeakMap<BackendConfig, BackendModifiers> | undefined;
  const timeoutMs = effectiveTimeout(rule.timeouts, defaultTimeoutMs);
  return {
    redirect,
    rewriteHost,
    rewritePath,
    timeoutMs,
    cors,
    mirrors,
    retry: rule.retry === undefined
      ? undefined
      : { policy: rule.retry, perTryMs: timeoutMs, overallMs: rule.timeouts?.request ?? 0 },
    modifiersFor(backend) {
      if (backend.filters.length === 0) return plain;
      byBackend ??= new WeakMap();
      let modifiers = byBackend.get(backend);
      if (modifiers === undefined) {
        const both = { request: [...request], response: [...response] };
        for (const filter of backend.filters) {
          collectModifier(filter, both.request, both.response);
        }
        byBackend.set(backend, modifiers = both);
      }
      return modifiers;
    },
  };
}

function collectModifier(
  filter: FilterConfig,
  request: HeaderModifierConfig[],
  response: HeaderModifierConfig[],
): void {
  if (filter.type === "RequestHeaderModifier") request.push(filter.modifier);
  else if (filter.type === "ResponseHeaderModifier") response.push(filter.modifier);
}

/**
 * The upstream timeout of a rule: the smaller of `request` and
 * `backendRequest` where set and positive; 0 (none) when every one set is 0;
 * the gateway's default when the rule sets neither.
 */
export function effectiveTimeout(
  timeouts: RuleConfig["timeouts"],
  defaultTimeoutMs: number,
): number {
  if (timeouts === undefined) return defaultTimeoutMs;
  const limits = [timeouts.request, timeouts.backendRequest].filter((t) => t !== undefined);
  if (limits.length === 0) return defaultTimeoutMs;
  const positive = limits.filter((t) => t > 0);
  return positive.length === 0 ? 0 : Math.min(...positive);
}
