/**
 * Shared setup of the process-level kube tests: a fake API server seeded with
 * one GatewayClass, Gateway, Service (backed by a real echo backend) and
 * HTTPRoute; gateway processes started against it, each with a kubeconfig of
 * its own whose token (read from a file, so it can rotate) tells its requests
 * apart at the fake server; and plain-HTTP requests with a Host header.
 * @module
 */
import { type EchoReply, startEchoBackend } from "../../scripts/echo_backend.ts";
import {
  freePort,
  type GatewayProcess,
  type GatewayProcessOptions,
  startGateway,
} from "../_helpers/gateway_process.ts";
import {
  type FakeKube,
  type RecordedRequest,
  startFakeKube,
} from "../fake_kube/fake_kube_server.ts";
import {
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  namespace,
  service,
} from "../fake_kube/fake_kube_fixtures.ts";

/** `apiVersion` of the Gateway API kinds. */
export const GW = "gateway.networking.k8s.io/v1";

/** Object as the fake stores it. */
export type Obj = Record<string, unknown>;

/** A gateway process with the token it authenticates with. */
export interface KubeGateway extends GatewayProcess {
  /** The token file its kubeconfig names. */
  readonly tokenFile: string;
  /** The token it presents now. */
  token: string;
  /** Writes a new token to its file and makes the fake accept only that one for it. */
  rotateToken(next: string): Promise<void>;
  /** Its requests, as the fake server recorded them. */
  requests(): RecordedRequest[];
  /** Successful status PATCHes it made. */
  statusPatches(): RecordedRequest[];
  /** `leaderElection` of its `/config`. */
  leaderElection(): Promise<{ leader: boolean; identity: string; holder?: string }>;
}

/** The fake server, its seeded world and what to reach it with. */
export interface KubeWorld extends AsyncDisposable {
  kube: FakeKube;
  dir: string;
  /** The Gateway listener's port. */
  port: number;
  /** Echo backends `a` (Service svc-a) and `b` (svc-b). */
  backends: { a: number; b: number };
  /** Starts a gateway process against the fake (`--source kube`). */
  start(
    name: string,
    options?: GatewayProcessOptions & { listenHost?: string },
  ): Promise<KubeGateway>;
  /** GET on the Gateway listener, at `listenHost` (default 127.0.0.1). */
  get(
    path: string,
    options?: { host?: string; listenHost?: string },
  ): Promise<{ status: number; backend: string }>;
  /** The current status of an object. */
  status(kind: string, name: string, ns?: string): Obj | undefined;
}

const ns = (kind: string) => kind === "GatewayClass" ? undefined : "default";

/** Starts the fake API server and backends, and seeds the world. */
export async function startKubeWorld(): Promise<KubeWorld> {
  const kube = await startFakeKube();
  const a = startEchoBackend({ name: "a" });
  const b = startEchoBackend({ name: "b" });
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-kube-e2e-" });
  kube.apply(namespace("default"));
  kube.apply(gatewayClass());
  kube.apply(gateway("gw", port));
  kube.apply(service("svc-a"));
  kube.apply(service("svc-b"));
  kube.apply(endpointSlice("svc-a", ["127.0.0.1"], a.port));
  kube.apply(endpointSlice("svc-b", ["127.0.0.1"], b.port));
  kube.apply(httpRoute("web", { prefix: "/", backend: "svc-a" }));
  const http = Deno.createHttpClient({ allowHost: true });
  const gateways: KubeGateway[] = [];

  const start: KubeWorld["start"] = async (name, options = {}) => {
    const tokenFile = `${dir}/${name}.token`;
    let token = `${name}-token-1`;
    kube.extraTokens.add(token);
    await Deno.writeTextFile(tokenFile, token);
    const kubeconfig = await kube.writeKubeconfig(`${dir}/${name}.kubeconfig`, { tokenFile });
    const process = await startGateway({
      ...options,
      args: [
        "--source",
        "kube",
        "--kubeconfig",
        kubeconfig,
        ...(options.listenHost ? ["--listen-host", options.listenHost] : []),
        ...(options.args ?? []),
      ],
    });
    const requests = () => kube.requests.filter((r) => r.token?.startsWith(`${name}-token-`));
    const gw: KubeGateway = Object.assign(process, {
      tokenFile,
      get token() {
        return token;
      },
      async rotateToken(next: string) {
        kube.extraTokens.delete(token);
        kube.extraTokens.add(next);
        token = next;
        await Deno.writeTextFile(tokenFile, next);
      },
      requests,
      statusPatches: () =>
        requests().filter((r) =>
          r.method === "PATCH" && r.status === 200 && r.path.endsWith("/status")
        ),
      async leaderElection() {
        const config = await (await process.admin("/config")).json();
        return config.extra?.leaderElection ?? config.leaderElection;
      },
    });
    gateways.push(gw);
    return gw;
  };

  return {
    kube,
    dir,
    port,
    backends: { a: a.port, b: b.port },
    start,
    async get(path, options = {}) {
      const res = await fetch(`http://${options.listenHost ?? "127.0.0.1"}:${port}${path}`, {
        headers: { host: options.host ?? "example.test" },
        client: http,
      });
      const text = await res.text();
      return {
        status: res.status,
        backend: res.ok ? (JSON.parse(text) as EchoReply).backend : "",
      };
    },
    status(kind, name, namespace = ns(kind)) {
      return kube.get(kind === "EndpointSlice" ? "discovery.k8s.io/v1" : GW, kind, namespace, name)
        ?.status as Obj | undefined;
    },
    async [Symbol.asyncDispose]() {
      for (const gw of gateways) await gw[Symbol.asyncDispose]();
      http.close();
      await a.close();
      await b.close();
      await kube.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Conditions of a status part as `{ type: "status/reason" }`, for compact assertions. */
export function conditionSummary(part: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of ((part as Obj | undefined)?.conditions ?? []) as Obj[]) {
    out[String(c.type)] = `${c.status}/${c.reason}`;
  }
  return out;
}

/** Sleeps `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
