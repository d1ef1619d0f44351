/**
 * The one case suite every `RouteTable` implementation runs. Scenarios are
 * written from the Gateway API spec and its conformance tables (our own
 * fixtures, same behaviours), plus the edges the IR contract defines.
 * `expect` is the winning match id (`<route>/rule/<i>/match/<j>` in
 * namespace `default`), or `null` for "no route" (404).
 * @module
 */
import type { RouteScenario } from "./case_types.ts";
import { pathScenarios } from "./cases_paths.ts";
import { conditionScenarios } from "./cases_conditions.ts";
import { hostScenarios } from "./cases_hosts.ts";
import { edgeScenarios } from "./cases_edges.ts";

export type { ListenerCase, RequestSpec, RouteCase, RouteScenario } from "./case_types.ts";

/** Every scenario, run by every implementation in `route_table.test.ts`. */
export const scenarios: RouteScenario[] = [
  ...pathScenarios,
  ...conditionScenarios,
  ...hostScenarios,
  ...edgeScenarios,
];
