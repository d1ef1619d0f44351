/**
 * A test HTTPS port through the real listener manager, router and data-plane
 * handler: every listener routes `/` to an echo backend and tags the request
 * with `x-listener: <name>`, so tests see which listener served it.
 * @module
 */
import { assert } from "@std/assert";
import { createListenerManager, type ListenerManager } from "../../src/dataplane/listeners.ts";
import { createHttpsServerFactory } from "../../src/dataplane/tls_port_factory.ts";
import type { SniSource } from "../../src/dataplane/tls_port_types.ts";
import { createLogger } from "../../src/log/logger.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import type { RouteTable } from "../../src/router/router.ts";
import type {
  CertificateConfig,
  ClientValidationConfig,
  GatewayConfig,
  ListenerConfig,
  RuleConfig,
} from "../../src/model/config.ts";
import { sharedTestCa, type TestCa, type TestCertificate } from "../_helpers/certs.ts";
import { type EchoBackend, type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePort } from "../_helpers/gateway_process.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

/** One HTTPS listener of the test port. */
export interface TestListener {
  name: string;
  hostname: string | null;
  certificate: TestCertificate;
  /** Client-certificate validation of the listener. */
  clientValidation?: ClientValidationConfig;
}

/** An HTTPS port whose every listener routes `/` to the echo backend, tagging `x-listener`. */
export function httpsConfig(port: number, backendPort: number, listeners: TestListener[]) {
  const rules: Record<string, RuleConfig> = {};
  const listenerConfigs: ListenerConfig[] = [];
  const certificates: CertificateConfig[] = [];
  for (const l of listeners) {
    const id = `gateway/default/gw/listener/${l.name}`;
    const rule = `httproute/default/${l.name}/rule/0`;
    rules[rule] = {
      id: rule,
      filters: [{
        type: "RequestHeaderModifier",
        modifier: { set: [{ name: "x-listener", value: l.name }], add: [], remove: [] },
      }],
      backends: [{
        id: "service/default/echo:80",
        weight: 1,
        protocol: "http",
        endpoints: [{ address: "127.0.0.1", port: backendPort }],
        filters: [],
      }],
      invalidWeight: 0,
    };
    const certificateId = `secret/default/${l.name}`;
    certificates.push({
      id: certificateId,
      certPem: l.certificate.certPem,
      keyPem: l.certificate.keyPem,
      dnsNames: [],
      notAfter: "2099-01-01T00:00:00.000Z",
    });
    listenerConfigs.push({
      id,
      ids: [id],
      hostname: l.hostname,
      port,
      protocol: "HTTPS",
      tls: {
        certificateIds: [certificateId],
        ...(l.clientValidation ? { clientValidation: l.clientValidation } : {}),
      },
      virtualHosts: [{
        hostname: "*",
        matches: [{
          id: `${rule}/match/0`,
          rule,
          route: `default/${l.name}`,
          path: { type: "PathPrefix", value: "/" },
          headers: [],
          queryParams: [],
        }],
      }],
    });
  }
  const config: GatewayConfig = {
    ports: [{ port, protocol: "HTTPS", listeners: listenerConfigs }],
    rules: ruleMapOf(rules),
  };
  return { config, certificates };
}

/** A running test port. */
export interface Harness extends AsyncDisposable {
  ca: TestCa;
  caFile: string;
  port: number;
  manager: ListenerManager;
  /** The echo backend every listener routes to. */
  backend: EchoBackend;
  logs: string[];
  apply(listeners: TestListener[]): Promise<void>;
}

/** Starts an HTTPS port with the listeners `build` returns. */
export async function startHarness(
  build: (ca: TestCa) => Promise<TestListener[]>,
  options: { sniSource?: SniSource } = {},
): Promise<Harness> {
  // Certificates cost an openssl run or two each: harnesses share one CA.
  const ca = await sharedTestCa();
  const backend = startEchoBackend();
  const port = freePort();
  const logs: string[] = [];
  let table: RouteTable | undefined;
  const getTable = () => table;
  const manager = createListenerManager({
    getTable,
    servers: { HTTPS: createHttpsServerFactory(getTable, { sniSource: options.sniSource }) },
    hostname: "127.0.0.1",
    logger: createLogger({ level: "debug", write: (line) => logs.push(line) }),
  });
  const apply = async (listeners: TestListener[]) => {
    const { config, certificates } = httpsConfig(port, backend.port, listeners);
    table = compileRouteTable(config);
    const states = await manager.reconcile({ config, certificates });
    assert(states.every((s) => s.bound), JSON.stringify(states));
  };
  await apply(await build(ca));
  return {
    ca,
    caFile: `${ca.dir}/ca.crt`,
    port,
    manager,
    backend,
    logs,
    apply,
    async [Symbol.asyncDispose]() {
      await manager.shutdown({ graceMs: 2000 });
      await backend.close();
    },
  };
}

const issuedThree = new WeakMap<TestCa, Promise<TestListener[]>>();

/**
 * foo.example.com, *.example.com and a default listener; their certificates
 * are issued once per CA, and each call gets copies of them.
 */
export async function threeListeners(ca: TestCa): Promise<TestListener[]> {
  let issued = issuedThree.get(ca);
  if (issued === undefined) {
    issued = (async (): Promise<TestListener[]> => [
      {
        name: "exact",
        hostname: "foo.example.com",
        certificate: await ca.issue(["foo.example.com"]),
      },
      { name: "wild", hostname: "*.example.com", certificate: await ca.issue(["*.example.com"]) },
      {
        name: "default",
        hostname: null,
        certificate: await ca.issue(["default.example.org", "127.0.0.1"]),
      },
    ])();
    issuedThree.set(ca, issued);
  }
  return (await issued).map((l) => ({ ...l, certificate: { ...l.certificate } }));
}

/** The echo backend's record in a response body. */
export function echoOf(body: string): EchoRecord {
  return JSON.parse(body) as EchoRecord;
}

/** A request header the backend saw. */
export function header(record: EchoRecord, name: string): string | undefined {
  return record.headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** A listener's client-certificate validation against `ca` (`AllowValidOnly` unless told). */
export function validation(
  ca: TestCa,
  mode: ClientValidationConfig["mode"] = "AllowValidOnly",
): ClientValidationConfig {
  return { mode, caRefs: ["configmap/default/clients"], caCertificates: [ca.certPem] };
}

/**
 * A client certificate for `commonName` from `ca`, written beside the
 * harness's CA as `name`; curl's arguments for it.
 */
export async function clientIdentity(
  h: Harness,
  ca: TestCa,
  name: string,
  commonName: string,
  options: { expired?: boolean } = {},
): Promise<string[]> {
  const identity = await ca.issue([], { commonName, clientAuth: true, ...options });
  const cert = `${h.ca.dir}/${name}.client.crt`;
  const key = `${h.ca.dir}/${name}.client.key`;
  await Deno.writeTextFile(cert, identity.certPem);
  await Deno.writeTextFile(key, identity.keyPem);
  return ["--cert", cert, "--key", key];
}
