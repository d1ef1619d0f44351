/**
 * Addresses for Gateways from the `--gateway-address-pool`: each Gateway
 * gets its own, so two Gateways on one port with no hostname stay apart.
 *
 * Stability comes first: an address a Gateway already publishes in its status
 * (from before a restart or an earlier rebuild) stays its address while it is
 * still in the pool and asked for. Then come the addresses Gateways request
 * in `spec.addresses`, oldest Gateway first, then fresh choices for Gateways
 * that asked for none (or for an empty value), each starting at a hash of the
 * Gateway's name (`candidateAddresses`). Pure: the same snapshot gives the
 * same assignment.
 * @module
 */
import type { Gateway } from "../resources/gateway_types.ts";
import {
  type AddressPool,
  candidateAddresses,
  canonicalIp,
  compareIps,
  poolContains,
} from "./address_pool.ts";

/** What the pool gives one Gateway, and what it could not. */
export interface AddressAssignment {
  /** The addresses the Gateway is served on: requested ones in spec order, then chosen ones. */
  addresses: string[];
  /** Address types the pool cannot give (only `IPAddress`). */
  unsupported: string[];
  /** Requested addresses that cannot be used, each with the reason. */
  unusable: string[];
  /** Requests for any address that found no free one. */
  unassigned: string[];
}

interface Want {
  key: string;
  gateway: Gateway;
  explicit: string[];
  auto: number;
  out: AddressAssignment;
}

/** `namespace/name` of a Gateway, the key of {@linkcode assignPoolAddresses}' result. */
export function gatewayKey(gateway: Gateway): string {
  return `${gateway.metadata.namespace ?? "default"}/${gateway.metadata.name}`;
}

/**
 * Assigns pool addresses. `gateways` must be in precedence order (oldest
 * first): when two request the same address, the first keeps it.
 */
export function assignPoolAddresses(
  gateways: readonly Gateway[],
  pool: AddressPool,
): Map<string, AddressAssignment> {
  const result = new Map<string, AddressAssignment>();
  const owners = new Map<string, string>();
  const wants: Want[] = [];
  for (const gateway of gateways) {
    const want = wantOf(gateway, pool);
    result.set(want.key, want.out);
    // A Gateway that cannot be served claims nothing, so it blocks no other.
    if (want.out.unsupported.length === 0 && want.out.unusable.length === 0) wants.push(want);
  }
  const take = (want: Want, address: string) => {
    owners.set(address, want.key);
    want.out.addresses.push(address);
  };
  for (const want of wants) {
    const held = new Set(
      (want.gateway.status?.addresses ?? [])
        .filter((a) => (a.type ?? "IPAddress") === "IPAddress" && poolContains(pool, a.value))
        .map((a) => canonicalIp(a.value)!),
    );
    for (const address of want.explicit) {
      if (held.has(address) && !owners.has(address)) take(want, address);
    }
    for (const address of held) {
      if (want.auto === 0) break;
      if (want.explicit.includes(address) || owners.has(address)) continue;
      take(want, address);
      want.auto--;
    }
  }
  for (const want of wants) {
    for (const address of want.explicit) {
      const owner = owners.get(address);
      if (owner === want.key) continue;
      if (owner !== undefined) {
        want.out.unusable.push(`IPAddress ${address} is already used by Gateway ${owner}`);
      } else take(want, address);
    }
  }
  for (const want of wants) {
    for (; want.auto > 0; want.auto--) {
      const free = firstFree(pool, want.key, owners);
      if (free === undefined) {
        want.out.unassigned.push(`any IPAddress: the pool ${pool.cidr} has no free address`);
        break;
      }
      take(want, free);
    }
  }
  for (const want of wants) want.out.addresses.sort(byExplicitThenValue(want.explicit));
  return result;
}

function wantOf(gateway: Gateway, pool: AddressPool): Want {
  const out: AddressAssignment = { addresses: [], unsupported: [], unusable: [], unassigned: [] };
  const explicit: string[] = [];
  let auto = 0;
  const requested = gateway.spec.addresses ?? [];
  for (const address of requested) {
    const type = address.type ?? "IPAddress";
    if (type !== "IPAddress") out.unsupported.push(type);
    else if (!address.value) auto++;
    else if (canonicalIp(address.value) === undefined) {
      out.unusable.push(`IPAddress ${address.value} is not an IP address`);
    } else if (!poolContains(pool, address.value)) {
      out.unusable.push(`IPAddress ${address.value} is outside the address pool ${pool.cidr}`);
    } else {
      const canonical = canonicalIp(address.value)!;
      if (!explicit.includes(canonical)) explicit.push(canonical);
    }
  }
  if (requested.length === 0) auto = 1;
  return { key: gatewayKey(gateway), gateway, explicit, auto, out };
}

function firstFree(
  pool: AddressPool,
  key: string,
  owners: ReadonlyMap<string, string>,
): string | undefined {
  for (const address of candidateAddresses(pool, key)) {
    if (!owners.has(address)) return address;
  }
  return undefined;
}

/** Requested addresses keep their spec order; chosen ones follow, by value. */
function byExplicitThenValue(explicit: readonly string[]) {
  const rank = (a: string) => {
    const i = explicit.indexOf(a);
    return i === -1 ? explicit.length : i;
  };
  return (a: string, b: string) => rank(a) - rank(b) || compareIps(a, b);
}
