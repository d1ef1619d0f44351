/**
 * Object-level mutators for the translate fuzzer: they edit raw Kubernetes
 * objects (as YAML or the API server would hand them over) where a person
 * or a buggy controller could: drop, duplicate or swap fields, give a field
 * the wrong type, huge or negative numbers, odd strings, references to
 * objects that do not exist, and values copied from another object (which
 * keeps them plausible enough to pass validation and reach `translate`).
 * @module
 */
import type { Prng } from "./_prng.ts";

type Json = unknown;
type Container = Record<string, Json> | Json[];

const WEIRD_STRINGS = [
  "",
  " ",
  "*",
  "*.",
  "*.*",
  ".",
  "..",
  "../x",
  "/",
  "//",
  "a".repeat(300),
  "A",
  "-",
  "-a",
  "a-",
  "xn--",
  "\u0000",
  "\u00e9",
  "a b",
  "a/b",
  "1",
  "0",
  "-1",
  "0x10",
  "1e3",
  "80",
  "65536",
  "99999999999",
  "http",
  "HTTPS",
  "TLS",
  "PathPrefix",
  "Exact",
  "RegularExpression",
  "(",
  "[",
  "^$",
  "example.com",
  "*.example.com",
  "foo.example.com",
  "::1",
  "127.0.0.1",
  "10.0.0.0/8",
  "fe80::/10",
  "1s",
  "0s",
  "-1s",
  "1h2m3s",
  "999999h",
  "gateway.networking.k8s.io",
  "Service",
  "Gateway",
  "HTTPRoute",
  "Secret",
  "default",
  "kube-system",
  "true",
  "null",
];
/** Status shapes a hand-written manifest could carry (status is read back by the gateway). */
export const WEIRD_STATUSES: readonly Json[] = [
  "x",
  [],
  5,
  { addresses: [null] },
  { addresses: "x" },
  { addresses: [{ value: 5 }, { type: 1 }] },
  { parents: [null, 1] },
  { parents: {} },
  { ancestors: [{ controllerName: 5 }] },
  { ancestors: "x" },
  { loadBalancer: "x" },
  { loadBalancer: { ingress: [null, { ip: 5 }] } },
  { loadBalancer: { ingress: 1 } },
  { conditions: 5 },
  { listeners: [null] },
  { addresses: [{ type: "IPAddress", value: "127.32.0.9" }] },
];
const WEIRD_NUMBERS = [
  0,
  -1,
  1,
  65535,
  65536,
  2 ** 31,
  -(2 ** 31),
  2 ** 53 + 2,
  1e308,
  -1e308,
  0.5,
  NaN,
  Infinity,
  -Infinity,
  1000001,
];

/** Every (container, key) pair in `root`, depth first. */
function slots(
  root: Json,
  out: [Container, string | number][] = [],
): [Container, string | number][] {
  if (Array.isArray(root)) {
    root.forEach((v, i) => {
      out.push([root, i]);
      slots(v, out);
    });
  } else if (root !== null && typeof root === "object") {
    for (const [k, v] of Object.entries(root as Record<string, Json>)) {
      out.push([root as Record<string, Json>, k]);
      slots(v, out);
    }
  }
  return out;
}

function get(c: Container, k: string | number): Json {
  return (c as Record<string | number, Json>)[k];
}

function set(c: Container, k: string | number, v: Json): void {
  (c as Record<string | number, Json>)[k] = v;
}

function remove(c: Container, k: string | number): void {
  if (Array.isArray(c)) c.splice(k as number, 1);
  else delete c[k as string];
}

function weirdValue(rng: Prng, old: Json): Json {
  switch (rng.int(8)) {
    case 0:
      return rng.pick(WEIRD_STRINGS);
    case 1:
      return rng.pick(WEIRD_NUMBERS);
    case 2:
      return rng.pick([null, true, false, [], {}, [null], { "": 1 }]);
    case 3:
      return typeof old === "string" ? old + rng.pick(WEIRD_STRINGS) : rng.pick(WEIRD_STRINGS);
    case 4:
      return typeof old === "number" ? old + rng.pick([-1, 1, 1e6, -1e6]) : rng.pick(WEIRD_NUMBERS);
    case 5:
      return typeof old === "string" ? old.toUpperCase() : String(old);
    case 6:
      return Array.isArray(old) ? [...old, ...old] : [old];
    default:
      return typeof old === "string" ? old.slice(0, rng.int(old.length + 1)) : { value: old };
  }
}

/**
 * Applies one edit to the objects (in place): the list may grow or shrink.
 * `objects` are plain JSON-like values from YAML.
 */
export function mutateObjects(objects: Json[], rng: Prng): void {
  if (objects.length === 0) return;
  const target = rng.pick(objects);
  const all = slots(target);
  const choice = rng.int(11);
  if (choice === 10 && target !== null && typeof target === "object") {
    (target as Record<string, Json>).status = structuredClone(rng.pick(WEIRD_STATUSES));
    return;
  }
  if (choice === 0) {
    objects.splice(rng.int(objects.length), 1);
    return;
  }
  if (choice === 1) {
    objects.push(structuredClone(target));
    return;
  }
  if (all.length === 0) return;
  const [container, key] = rng.pick(all);
  const old = get(container, key);
  switch (choice) {
    case 2:
      remove(container, key);
      return;
    case 3: {
      // A value from the same place in another object keeps references plausible but dangling.
      const donor = slots(rng.pick(objects)).filter(([, k]) => k === key);
      if (donor.length > 0) set(container, key, structuredClone(get(...rng.pick(donor))));
      else set(container, key, weirdValue(rng, old));
      return;
    }
    case 4: {
      const [c2, k2] = rng.pick(all);
      const other = get(c2, k2);
      set(c2, k2, structuredClone(old));
      set(container, key, structuredClone(other));
      return;
    }
    case 5:
      if (Array.isArray(old) && old.length > 0) old.push(structuredClone(rng.pick(old)));
      else set(container, key, weirdValue(rng, old));
      return;
    default:
      set(container, key, weirdValue(rng, old));
  }
}
