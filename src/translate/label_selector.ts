/**
 * Kubernetes label selectors (`matchLabels` and `matchExpressions`), used by
 * `allowedRoutes.namespaces.selector`.
 * @module
 */
import type { LabelSelector } from "../resources/gateway_types.ts";

/**
 * Whether `labels` satisfy `selector`. All requirements must hold; an empty
 * selector selects everything, as in Kubernetes. An unknown operator selects
 * nothing, so a typo never widens access.
 *
 * @example
 * ```ts
 * import { matchesLabelSelector } from "./label_selector.ts";
 * matchesLabelSelector({ env: "prod" }, { matchLabels: { env: "prod" } }); // true
 * ```
 */
export function matchesLabelSelector(
  labels: Readonly<Record<string, string>>,
  selector: LabelSelector,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, requirement.key);
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case "In":
        if (!has || !values.includes(labels[requirement.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[requirement.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
