/**
 * Test-only loader for golden inputs: a multi-document YAML file → a
 * `Snapshot` and `TranslateOptions`. Every object goes through the real
 * validator (`validateResource`), so goldens only contain inputs a source
 * could hand to `translate`; a test-only `TranslateOptions`
 * document may override the options, and a Secret `stringData` value
 * `@file:<path>` is replaced by that file under `testdata/`, so the PEM files
 * are committed once and shared by several scenarios.
 * @module
 */
import { parseAllDocuments } from "yaml";
import type { GatewayResource } from "../../src/resources/types.ts";
import { formatValidationError, validateResource } from "../../src/resources/validate.ts";
import type { TranslateOptions } from "../../src/model/config.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";

/** The controller name the golden scenarios use. */
export const TEST_CONTROLLER = "gateway.serval.dev/controller";

/** Default options of a golden scenario. */
export const DEFAULT_OPTIONS: TranslateOptions = {
  controllerName: TEST_CONTROLLER,
  now: "2030-01-01T00:00:00Z",
  gatewayAddresses: [{ type: "IPAddress", value: "192.0.2.10" }],
};

const LISTS: Record<GatewayResource["kind"], keyof Snapshot> = {
  GatewayClass: "gatewayClasses",
  Gateway: "gateways",
  HTTPRoute: "httpRoutes",
  GRPCRoute: "grpcRoutes",
  TLSRoute: "tlsRoutes",
  ListenerSet: "listenerSets",
  ReferenceGrant: "referenceGrants",
  Service: "services",
  EndpointSlice: "endpointSlices",
  Secret: "secrets",
  Namespace: "namespaces",
  BackendTLSPolicy: "backendTLSPolicies",
  ConfigMap: "configMaps",
};

/** Parses `text` (YAML documents) into a snapshot and options. */
export function loadSnapshot(
  text: string,
  readFile: (path: string) => string,
): { snapshot: Snapshot; options: TranslateOptions } {
  const lists: Record<string, unknown[]> = {};
  for (const key of Object.values(LISTS)) lists[key] = [];
  let options = DEFAULT_OPTIONS;
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new SyntaxError(`Cannot parse YAML: ${doc.errors[0].message}`);
    const object = doc.toJSON() as Record<string, unknown> | null;
    if (object === null) continue;
    if (object.kind === "TranslateOptions") {
      options = { ...DEFAULT_OPTIONS, ...(object.options as Partial<TranslateOptions>) };
      continue;
    }
    const list = LISTS[object.kind as GatewayResource["kind"]];
    if (!list) {
      throw new TypeError(`Cannot load object: unknown kind ${JSON.stringify(object.kind)}`);
    }
    if (object.kind === "Secret" || object.kind === "ConfigMap") resolveFiles(object, readFile);
    const result = validateResource(object);
    if (!result.ok) {
      const detail = result.ignored
        ? "kind is not read by the gateway"
        : result.errors.map(formatValidationError).join("; ");
      throw new TypeError(`Cannot load ${String(object.kind)} for a golden scenario: ${detail}`);
    }
    lists[list].push(result.value);
  }
  return { snapshot: lists as unknown as Snapshot, options };
}

function resolveFiles(secret: Record<string, unknown>, readFile: (path: string) => string): void {
  // Secrets carry the files in stringData, ConfigMaps in data.
  const data = (secret.stringData ?? secret.data) as Record<string, string> | undefined;
  if (!data) return;
  for (const [key, value] of Object.entries(data)) {
    if (value.startsWith("@file:")) data[key] = readFile(value.slice("@file:".length));
  }
}
