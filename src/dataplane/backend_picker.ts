/**
 * Backend and endpoint choice. Backends of a rule are chosen by smooth
 * weighted round-robin (an even interleaving, e.g. weights 2:1 give
 * a,b,a,a,b,a…), with the weight of unresolvable backendRefs as one extra
 * "invalid" slot that answers 500, as the spec requires. Endpoints of a
 * backend are chosen round-robin. The state lives beside the frozen config
 * objects (WeakMaps), so a new table starts a fresh rotation and old state is
 * collected with the old table.
 * @module
 */
import type { BackendConfig, RuleConfig } from "../model/config.ts";

/** The outcome of a pick: a backend, or the invalid-weight share (500). */
export type BackendChoice = BackendConfig | "invalid";

interface WeightedState {
  /** Backends, then the invalid slot when its weight is positive. */
  weights: number[];
  current: number[];
  total: number;
}

/** Chooses backends and endpoints; one per data plane. */
export interface BackendPicker {
  /** `undefined` when the rule has no backend at all (and no invalid weight). */
  pickBackend(rule: RuleConfig): BackendChoice | undefined;
  /** `undefined` when the backend has no ready endpoint. */
  pickEndpoint(backend: BackendConfig): { address: string; port: number } | undefined;
}

/**
 * Creates a picker with its own rotation state.
 *
 * @example
 * ```ts
 * import { createBackendPicker } from "./backend_picker.ts";
 * const picker = createBackendPicker();
 * ```
 */
export function createBackendPicker(): BackendPicker {
  const ruleState = new WeakMap<RuleConfig, WeightedState>();
  const endpointCursor = new WeakMap<BackendConfig, { next: number }>();

  function stateFor(rule: RuleConfig): WeightedState {
    let state = ruleState.get(rule);
    if (state === undefined) {
      const weights = rule.backends.map((b) => Math.max(0, b.weight));
      if (rule.invalidWeight > 0) weights.push(rule.invalidWeight);
      state = {
        weights,
        current: weights.map(() => 0),
        total: weights.reduce((a, b) => a + b, 0),
      };
      ruleState.set(rule, state);
    }
    return state;
  }

  return {
    pickBackend(rule) {
      const backends = rule.backends;
      if (backends.length === 1 && rule.invalidWeight <= 0) return backends[0];
      if (backends.length === 0) return rule.invalidWeight > 0 ? "invalid" : undefined;
      const state = stateFor(rule);
      if (state.total <= 0) return undefined;
      let best = 0;
      for (let i = 0; i < state.weights.length; i++) {
        state.current[i] += state.weights[i];
        if (state.current[i] > state.current[best]) best = i;
      }
      state.current[best] -= state.total;
      return best < backends.length ? backends[best] : "invalid";
    },
    pickEndpoint(backend) {
      const endpoints = backend.endpoints;
      if (endpoints.length <= 1) return endpoints[0];
      let cursor = endpointCursor.get(backend);
      if (cursor === undefined) endpointCursor.set(backend, cursor = { next: 0 });
      const endpoint = endpoints[cursor.next % endpoints.length];
      cursor.next = (cursor.next + 1) % endpoints.length;
      return endpoint;
    },
  };
}
