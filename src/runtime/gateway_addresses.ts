/**
 * `--gateway-address` values as `Gateway.status.addresses` entries: an IPv4
 * or IPv6 literal is an `IPAddress`, anything else a `Hostname`.
 * @module
 */
import type { Service } from "../resources/core_types.ts";
import type { Store } from "../source/store.ts";
import type { TranslateOptions } from "../model/config.ts";

type Addresses = NonNullable<TranslateOptions["gatewayAddresses"]>;

/** Types each address for `TranslateOptions.gatewayAddresses`. */
export function toGatewayAddresses(values: readonly string[]): Addresses {
  return values.map((value) => ({
    type: /^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.includes(":") ? "IPAddress" : "Hostname",
    value,
  }));
}

/**
 * The addresses to publish now: the `--gateway-address` values, then those of
 * the `--gateway-service` Service (its load-balancer ingress, else its cluster
 * IP), read from the store on every rebuild so a load balancer that gets its
 * address later is published by the rebuild its Service change triggers.
 */
export function gatewayAddressesFor(
  options: {
    gatewayAddresses: readonly string[];
    gatewayService?: { namespace: string; name: string };
  },
  store: Pick<Store, "get">,
): Addresses {
  const out = toGatewayAddresses(options.gatewayAddresses);
  const ref = options.gatewayService;
  if (ref === undefined) return out;
  // Looked up, not searched: this runs once per rebuild, with thousands of Services.
  const service = store.get("Service", ref.namespace, ref.name) as Service | undefined;
  if (service === undefined) return out;
  const fromService: string[] = [];
  for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
    if (ingress.ip) fromService.push(ingress.ip);
    else if (ingress.hostname) fromService.push(ingress.hostname);
  }
  const clusterIP = service.spec.clusterIP;
  if (fromService.length === 0 && clusterIP && clusterIP !== "None") fromService.push(clusterIP);
  const seen = new Set(out.map((a) => a.value));
  for (const address of toGatewayAddresses(fromService)) {
    if (!seen.has(address.value)) out.push(address);
  }
  return out;
}
