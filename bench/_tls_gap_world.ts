/**
 * The world of `tls_gap_bench.ts`: the nginx configurations (the backend,
 * and the peer serving TLS `return 200`, a plain proxy and a TLS proxy in one
 * worker), the gateway's manifests (a plain port, an HTTPS port of one
 * listener and one of two listeners, all routed to the backend), and one
 * measured h2load run.
 * @module
 */
import {
  classAndGatewayYaml,
  httpsListener,
  loopbackServiceYaml,
  tlsSecretYaml,
} from "../scripts/manifests.ts";
import { treeCpuSeconds } from "./_processes.ts";
import { h2load } from "./_h2load.ts";
import { nginxHttpHead } from "./_bench_setup.ts";

/** The ports of one run. */
export interface GapPorts {
  backend: number;
  nginxHello: number;
  nginxPlain: number;
  nginxTls: number;
  gwPlain: number;
  gwDirect: number;
  gwRelayed: number;
}

/** The backend: one worker answering a fixed tiny body. */
export function nginxBackendConf(dir: string, ports: GapPorts): string {
  return nginxHttpHead(dir, "backend") + `  server {
    listen 127.0.0.1:${ports.backend};
    location / { default_type text/plain; return 200 "hello from the bench backend\\n"; }
  }
}
`;
}

/** The peer: TLS `return 200`, a plain proxy and a TLS proxy, one worker. */
export function nginxGapConf(dir: string, crt: string, key: string, ports: GapPorts): string {
  const tls = [
    `ssl_certificate ${crt};`,
    `ssl_certificate_key ${key};`,
    "ssl_protocols TLSv1.2 TLSv1.3;",
    "ssl_session_cache off;",
    "ssl_session_tickets off;",
  ].join(" ");
  const proxy = [
    "location / {",
    "proxy_pass http://keep;",
    "proxy_http_version 1.1;",
    'proxy_set_header Connection "";',
    "proxy_set_header Host $http_host;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Proto $scheme;",
    "}",
  ].join(" ");
  return nginxHttpHead(dir, "peer") +
    `  upstream keep { server 127.0.0.1:${ports.backend}; keepalive 64; }
  server {
    listen 127.0.0.1:${ports.nginxHello} ssl http2;
    ${tls}
    location / { default_type text/plain; return 200 "hello from the bench server\\n"; }
  }
  server { listen 127.0.0.1:${ports.nginxPlain}; ${proxy} }
  server { listen 127.0.0.1:${ports.nginxTls} ssl http2; ${tls} ${proxy} }
}
`;
}

/**
 * A plain port, an HTTPS port of one listener (`name`) and one of two
 * (`name` and `otherName`), every one routed to the backend.
 */
export function gapManifests(
  ports: Pick<GapPorts, "backend" | "gwPlain" | "gwDirect" | "gwRelayed">,
  name: string,
  crt: string,
  key: string,
  otherName = "other.example.com",
): string {
  const listeners = [
    `{ name: plain, protocol: HTTP, port: ${ports.gwPlain} }`,
    httpsListener("direct", ports.gwDirect, "bench-cert", name),
    httpsListener("relayed", ports.gwRelayed, "bench-cert", name),
    httpsListener("relayed-other", ports.gwRelayed, "bench-cert", otherName),
  ];
  return `${classAndGatewayYaml("bench", listeners)}---
${tlsSecretYaml("bench-cert", crt, key)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bench, namespace: default }
spec:
  parentRefs: [{ name: bench }]
  rules: [{ backendRefs: [{ name: backend, port: 80 }] }]
---
${loopbackServiceYaml("backend", ports.backend)}`;
}

/** One measured run. */
export interface Run {
  rps: number;
  /** CPU of the serving process per succeeded request, µs. */
  cpuUs: number;
  /** Why the run is not clean, or `undefined`. */
  bad?: string;
}

/** Runs h2load against `url` and reads `pid`'s CPU around it. */
export async function runTarget(
  url: string,
  port: number,
  pid: number,
  args: string[],
): Promise<Run> {
  const before = await treeCpuSeconds(pid);
  const r = await h2load(url, port, args);
  const cpuUs = (await treeCpuSeconds(pid) - before) * 1e6 / r.succeeded;
  const bad = !(r.requestsPerSec > 0) || r.failed > 0 || r.non2xx > 0
    ? `failed=${r.failed} non2xx=${r.non2xx}\n${r.raw}`
    : undefined;
  return { rps: r.requestsPerSec, cpuUs, bad };
}
