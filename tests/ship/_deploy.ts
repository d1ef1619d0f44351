/**
 * The deploy manifests as the tests read them: every document of every file
 * in `deploy/`, parsed with the project's own `parseManifests`, plus lookups
 * by kind and name.
 * @module
 */
import { parseManifests } from "../../src/resources/manifests.ts";

/** The repository root, with a trailing slash. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;
/** `deploy/`. */
export const DEPLOY_DIR: string = `${ROOT}deploy`;

// deno-lint-ignore no-explicit-any
export type Obj = Record<string, any>;

/** One parsed document and the file it came from. */
export interface DeployObject {
  file: string;
  object: Obj;
}

/** The YAML files directly in `dir`, sorted. */
export function yamlFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** Parses `dir/name`; throws with the syntax errors if there are any. */
export function parseFile(dir: string, name: string): Obj[] {
  const parsed = parseManifests(Deno.readTextFileSync(`${dir}/${name}`), name);
  if (parsed.errors.length > 0) {
    throw new SyntaxError(`Cannot parse ${name}: ${JSON.stringify(parsed.errors)}`);
  }
  return parsed.documents.map((d) => d.value as Obj);
}

/** Every object in `deploy/` except the kustomization. */
export function deployObjects(): DeployObject[] {
  return yamlFiles(DEPLOY_DIR)
    .filter((f) => f !== "kustomization.yaml")
    .flatMap((file) => parseFile(DEPLOY_DIR, file).map((object) => ({ file, object })));
}

/** The only object of `kind` (and `name`, if given) in `deploy/`; throws when not exactly one. */
export function deployObject(kind: string, name?: string): Obj {
  const found = deployObjects().filter((o) =>
    o.object.kind === kind && (name === undefined || o.object.metadata?.name === name)
  );
  if (found.length !== 1) {
    throw new Error(`Cannot find exactly one ${kind} ${name ?? ""} in deploy/: ${found.length}`);
  }
  return found[0].object;
}

/** The Deployment's gateway container. */
export function gatewayContainer(): Obj {
  const containers = deployObject("Deployment").spec.template.spec.containers as Obj[];
  if (containers.length !== 1) throw new Error("Cannot find the one gateway container");
  return containers[0];
}
