/**
 * Fuzz target: validation and `translate`. Valid snapshots (the golden
 * scenarios under `tests/translate/testdata/` and `examples/`) are mutated
 * at the object level, each object goes through the real validator (strict,
 * as the files source does, or not, as the kube source does) into a real
 * store, and the store's snapshot through `translate` and the route-table
 * compiler.
 *
 * Oracle: nothing throws; an object the validator refuses is reported, not
 * thrown; `translate` gives the same result twice for the same snapshot.
 * @module
 */
import { parseAllDocuments, stringify } from "yaml";
import { parseManifests } from "../../src/resources/manifests.ts";
import { validateResource } from "../../src/resources/validate.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { createStore } from "../../src/source/store.ts";
import { parseAddressPool } from "../../src/translate/address_pool.ts";
import { translate } from "../../src/translate/translate.ts";
import type { TranslateOptions } from "../../src/model/config.ts";
import { mutateObjects } from "./_object_mutators.ts";
import type { Prng } from "./_prng.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";
import { DEFAULT_OPTIONS } from "../translate/load_snapshot.ts";

/** A seed scenario: raw objects and the options to translate them with. */
export interface Scenario {
  name: string;
  objects: unknown[];
  options: TranslateOptions;
}

const TESTDATA = new URL("../translate/testdata/", import.meta.url);
const EXAMPLES = new URL("../../examples/", import.meta.url);

function readScenario(name: string, url: URL, base: URL): Scenario {
  const objects: unknown[] = [];
  let options = DEFAULT_OPTIONS;
  for (const doc of parseAllDocuments(Deno.readTextFileSync(url))) {
    const object = doc.toJSON() as Record<string, unknown> | null;
    if (object === null) continue;
    if (object.kind === "TranslateOptions") {
      options = { ...DEFAULT_OPTIONS, ...(object.options as Partial<TranslateOptions>) };
      continue;
    }
    // Golden Secrets and ConfigMaps name shared PEM files: inline them.
    const data = (object.stringData ?? object.data) as Record<string, string> | undefined;
    for (const [key, value] of Object.entries(data ?? {})) {
      if (typeof value === "string" && value.startsWith("@file:")) {
        data![key] = Deno.readTextFileSync(new URL(value.slice("@file:".length), base));
      }
    }
    objects.push(object);
  }
  return { name, objects, options };
}

/** The seed scenarios: every golden input, and the examples as one snapshot. */
export function loadScenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const entry of [...Deno.readDirSync(TESTDATA)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (!entry.name.endsWith(".in.yaml")) continue;
    out.push(readScenario(entry.name, new URL(entry.name, TESTDATA), TESTDATA));
  }
  const examples: unknown[] = [];
  for (const entry of [...Deno.readDirSync(EXAMPLES)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (entry.name.endsWith(".yaml")) {
      examples.push(...readScenario(entry.name, new URL(entry.name, EXAMPLES), EXAMPLES).objects);
    }
  }
  out.push({ name: "examples", objects: examples, options: DEFAULT_OPTIONS });
  return out;
}

/** Pools the CLI accepts (it refuses the rest before anything is translated). */
const POOLS = ["10.0.0.0/30", "192.0.2.0/24", "192.0.2.7/32", "fd00:32::/126", "fe80::/127"].filter(
  (text) => {
    try {
      parseAddressPool(text);
      return true;
    } catch {
      return false;
    }
  },
);

function mutateOptions(options: TranslateOptions, rng: Prng): TranslateOptions {
  if (!rng.chance(0.1)) return options;
  return rng.pick<TranslateOptions>([
    { ...options, addressPool: rng.pick(POOLS) },
    {
      ...options,
      now: rng.pick(["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]),
    },
    { ...options, gatewayAddresses: [] },
    { ...options, gatewayAddresses: [{ type: "Hostname", value: "" }] },
    { ...options, controllerName: "" },
  ]);
}

/** What the cases of a run did. */
export interface TranslateCounts {
  objects: number;
  refused: number;
  problems: number;
  rules: number;
}

/** YAML's own syntax, for edits of manifest text. */
const YAML_TOKENS = [
  ": ",
  "- ",
  "&a ",
  "*a",
  "!!binary ",
  "!!int ",
  "<<: *a\n",
  "{",
  "}",
  "[",
  "]",
  "---\n",
  "\t",
  "? ",
  "|\n",
  ">-\n",
  "#",
  "'",
  '"',
  "\\",
  "\n",
  "  ",
  "~",
  "0x1F",
  "1e309",
  ".nan",
  "!!str ",
  "a: &a [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
];

function mutateYaml(text: string, rng: Prng): string {
  let out = text;
  for (let i = rng.range(1, 4); i > 0; i--) {
    const at = rng.int(out.length + 1);
    switch (rng.int(4)) {
      case 0:
        out = out.slice(0, at) + rng.pick(YAML_TOKENS) + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + rng.range(1, 12));
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at, at + rng.range(1, 40)) + out.slice(at);
        break;
      default:
        out = out.slice(0, at) + String.fromCharCode(rng.int(256)) + out.slice(at + 1);
    }
  }
  return out;
}

/** Runs one case over the scenarios. */
export function translateCase(
  scenarios: Scenario[],
  rng: Prng,
  counts: TranslateCounts = { objects: 0, refused: 0, problems: 0, rules: 0 },
): CaseFailure | undefined {
  const scenario = rng.pick(scenarios);
  const objects = structuredClone(scenario.objects);
  const edits = rng.range(1, 6);
  for (let i = 0; i < edits; i++) mutateObjects(objects, rng);
  if (rng.chance(0.05)) {
    // Sometimes the manifest text itself is mangled and read back the way the files source reads it.
    const text = mutateYaml(objects.map((o) => stringify(o)).join("---\n"), rng);
    try {
      objects.splice(
        0,
        objects.length,
        ...parseManifests(text, "fuzz.yaml").documents.map((d) => d.value),
      );
    } catch (error) {
      return { input: text, message: `manifest parser threw: ${(error as Error)?.stack ?? error}` };
    }
  }
  const options = mutateOptions(scenario.options, rng);
  const strict = rng.chance(0.5);
  // The input is printed only for a failure; validation and translate do not change raw objects.
  const input = () => JSON.stringify({ scenario: scenario.name, strict, options, objects });
  const store = createStore({ holdoffMs: 1_000_000 });
  try {
    for (const raw of objects) {
      const result = validateResource(raw, { strict });
      counts.objects++;
      if (!result.ok) counts.refused++;
      if (result.ok) store.upsert(result.value);
      else if (!result.ignored && result.errors.length === 0) {
        return { input: input(), message: "validator refused an object without saying why" };
      }
    }
    const snapshot = store.snapshot();
    const result = translate(snapshot, options);
    compileRouteTable(result.config);
    counts.problems += result.problems.length;
    counts.rules += Object.keys(result.config.rules).length;
    if (rng.chance(0.1)) {
      const again = translate(snapshot, options);
      if (JSON.stringify(again) !== JSON.stringify(result)) {
        return { input: input(), message: "translate gave two results for one snapshot" };
      }
    }
    return undefined;
  } catch (error) {
    return { input: input(), message: `threw: ${(error as Error)?.stack ?? error}` };
  } finally {
    store.close();
  }
}

/** The target for {@linkcode runFuzz}. */
export function translateTarget(): FuzzTarget {
  let scenarios: Scenario[] = [];
  const counts: TranslateCounts = { objects: 0, refused: 0, problems: 0, rules: 0 };
  return {
    name: "translate",
    open() {
      scenarios = loadScenarios();
      return Promise.resolve();
    },
    run: (rng) => Promise.resolve(translateCase(scenarios, rng, counts)),
    summary: () =>
      `${counts.objects} objects validated, ${counts.refused} refused; ` +
      `${counts.problems} problems and ${counts.rules} served rules from translate`,
  };
}
