/**
 * A `GatewayState` whose answers a test sets field by field (the contract is
 * made of functions so the admin apps always read the current state), and a
 * small but complete translate result: one HTTP and one HTTPS listener, two
 * rules sharing a backend, a certificate with a real private key made by the
 * openssl CLI at test time (nothing secret is committed).
 * @module
 */
import type { RouteTable } from "../../src/router/router.ts";
import type { GatewayState, RebuildState } from "../../src/admin/gateway_state.ts";
import type { ListenerPortState } from "../../src/dataplane/listener_port_state.ts";
import type { KindSyncState } from "../../src/source/source.ts";
import type { GatewayConfig, Problem, TranslateResult } from "../../src/model/config.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

/** The fields behind a {@linkcode TestGatewayState}; tests assign them. */
export interface StateFields {
  table?: RouteTable;
  result?: TranslateResult;
  sourceKind: "files" | "kube";
  syncState: Record<string, KindSyncState>;
  sourceProblems: Problem[];
  listeners: ListenerPortState[];
  lastRebuild?: RebuildState;
  readiness: { ready: boolean; reasons: string[] };
  extra?: () => Record<string, unknown>;
}

/** A state reading `fields` on every call. */
export function testGatewayState(fields: StateFields): GatewayState {
  return {
    table: () => fields.table,
    result: () => fields.result,
    source: () => ({
      kind: fields.sourceKind,
      syncState: fields.syncState,
      problems: fields.sourceProblems,
    }),
    listeners: () => fields.listeners,
    lastRebuild: () => fields.lastRebuild,
    readiness: () => fields.readiness,
    extra: () => fields.extra?.() ?? {},
  };
}

/** Fields of a gateway that has not loaded anything yet. */
export function startingFields(): StateFields {
  return {
    sourceKind: "files",
    syncState: { Gateway: { synced: false, objects: 0 } },
    sourceProblems: [],
    listeners: [],
    readiness: { ready: false, reasons: ["No config was loaded yet"] },
  };
}

export const HTTP_LISTENER = "gateway/default/gw/listener/http";
export const HTTPS_LISTENER = "gateway/default/gw/listener/https";
export const BACKEND = "service/default/web:8080";

/** A config on ports 80 and 443; both rules send to {@linkcode BACKEND}. */
export function sampleConfig(): GatewayConfig {
  const backend = {
    id: BACKEND,
    weight: 1,
    protocol: "http" as const,
    endpoints: [{ address: "10.0.0.7", port: 8080 }, { address: "10.0.0.8", port: 8080 }],
    filters: [],
  };
  const rule = (i: number) => ({
    id: `httproute/default/web/rule/${i}`,
    filters: [],
    backends: [backend],
    invalidWeight: 0,
  });
  const match = (i: number) => ({
    id: `httproute/default/web/rule/${i}/match/0`,
    rule: `httproute/default/web/rule/${i}`,
    route: "default/web",
    path: { type: "PathPrefix" as const, value: i === 0 ? "/api" : "/" },
    headers: [],
    queryParams: [],
  });
  const listener = (id: string, port: number, protocol: "HTTP" | "HTTPS") => ({
    id,
    ids: [id],
    hostname: "web.example.com",
    port,
    protocol,
    ...(protocol === "HTTPS" ? { tls: { certificateIds: ["secret/default/web-tls"] } } : {}),
    virtualHosts: [{ hostname: "web.example.com", matches: [match(0), match(1)] }],
  });
  return {
    ports: [
      { port: 80, protocol: "HTTP", listeners: [listener(HTTP_LISTENER, 80, "HTTP")] },
      { port: 443, protocol: "HTTPS", listeners: [listener(HTTPS_LISTENER, 443, "HTTPS")] },
    ],
    rules: ruleMapOf({
      "httproute/default/web/rule/0": rule(0),
      "httproute/default/web/rule/1": rule(1),
    }),
  };
}

/** A table over `config` that matches nothing (the admin app only reads its ports). */
export function inertTable(config: GatewayConfig): RouteTable {
  return { config, listenerFor: () => undefined, match: () => undefined };
}

/** A real self-signed certificate and its unencrypted PKCS#8 private key. */
export async function realKeyPair(): Promise<{ certPem: string; keyPem: string }> {
  const dir = await Deno.makeTempDir({ prefix: "serval-admin-test-" });
  try {
    const out = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=web.example.com",
        "-days",
        "2",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`Cannot run openssl req: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    return {
      certPem: await Deno.readTextFile(`${dir}/cert.pem`),
      keyPem: await Deno.readTextFile(`${dir}/key.pem`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A translate result over {@linkcode sampleConfig} holding `keyPem` in its certificate. */
export function sampleResult(keys: { certPem: string; keyPem: string }): TranslateResult {
  return {
    config: sampleConfig(),
    certificates: [{
      id: "secret/default/web-tls",
      certPem: keys.certPem,
      keyPem: keys.keyPem,
      dnsNames: ["web.example.com"],
      notAfter: "2030-01-01T00:00:00Z",
    }],
    statuses: [{
      kind: "Gateway",
      namespace: "default",
      name: "gw",
      generation: 3,
      status: { conditions: [] },
    }],
    problems: [{
      object: "httproute/default/broken",
      field: "spec.rules[0].backendRefs[0]",
      message: "Backend service/default/missing does not exist",
    }],
  };
}
