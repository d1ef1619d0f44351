/**
 * `--gateway-address` values as `Gateway.status.addresses` entries: an IPv4
 * or IPv6 literal is an `IPAddress`, anything else a `Hostname`.
 * @module
 */
import type { TranslateOptions } from "../translate/config.ts";

/** Types each address for `TranslateOptions.gatewayAddresses`. */
export function toGatewayAddresses(
  values: readonly string[],
): NonNullable<TranslateOptions["gatewayAddresses"]> {
  return values.map((value) => ({
    type: /^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.includes(":") ? "IPAddress" : "Hostname",
    value,
  }));
}
