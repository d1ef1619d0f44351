/**
 * The changing world of the soak (`bench/soak.ts`): a manifests directory
 * the gateway watches, whose HTTPRoute is rewritten, whose endpoints roll
 * (a new backend started, the oldest removed from the EndpointSlices and then
 * stopped) and whose HTTPS certificate is replaced by one from a new CA.
 * @module
 */
import { type EchoBackend, startEchoBackend } from "../scripts/echo_backend.ts";
import { createTestCa } from "../tests/_helpers/certs.ts";
import { writeManifests } from "../tests/e2e/_manifests.ts";
import { classAndGatewayYaml, httpsListener, tlsSecretYaml } from "../scripts/manifests.ts";

/** The host every soak request is for. */
export const SOAK_HOST = "soak.example";

function gatewayYaml(httpPort: number, httpsPort: number): string {
  return classAndGatewayYaml("e2e", [
    `{ name: http, protocol: HTTP, port: ${httpPort} }`,
    httpsListener("https", httpsPort, "soak-tls", SOAK_HOST),
  ]);
}

function routeYaml(generation: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: soak
  namespace: default
spec:
  parentRefs: [{ name: e2e }]
  hostnames: [${SOAK_HOST}]
  rules:
    - matches: [{ path: { type: PathPrefix, value: / } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: X-Soak-Generation, value: "${generation}" }] }
      backendRefs: [{ name: soak, port: 80 }]
`;
}

const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: soak
  namespace: default
spec:
  ports: [{ name: http, port: 80, protocol: TCP }]
`;

function sliceYaml(index: number, port: number): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: soak-${index}
  namespace: default
  labels: { kubernetes.io/service-name: soak }
addressType: IPv4
ports: [{ name: http, port: ${port}, protocol: TCP }]
endpoints:
  - addresses: ["127.0.0.1"]
    conditions: { ready: true }
`;
}

/** The soak's manifests and backends. */
export class SoakWorld {
  readonly dir: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  /** Live backends by roll index (at most the two newest). */
  readonly backends = new Map<number, EchoBackend>();
  /** CA certificates (PEM) of every certificate served so far, newest last. */
  readonly caPems: string[] = [];
  generation = 0;
  rolls = 0;
  rotations = 0;

  private constructor(dir: string, httpPort: number, httpsPort: number) {
    this.dir = dir;
    this.httpPort = httpPort;
    this.httpsPort = httpsPort;
  }

  /** Writes the first manifests (route generation 0, backend 0, a first certificate). */
  static async create(httpPort: number, httpsPort: number): Promise<SoakWorld> {
    const world = new SoakWorld(
      await Deno.makeTempDir({ prefix: "serval-soak-" }),
      httpPort,
      httpsPort,
    );
    const backend = startEchoBackend({ name: "soak-0", hostname: "127.0.0.1", port: 0 });
    world.backends.set(0, backend);
    await writeManifests(world.dir, {
      "gateway.yaml": gatewayYaml(httpPort, httpsPort),
      "service.yaml": SERVICE,
      "slice-0.yaml": sliceYaml(0, backend.port),
      "route.yaml": routeYaml(0),
    });
    await world.rotateCertificate();
    world.rotations = 0;
    return world;
  }

  /** Rewrites the route with the next generation (its header value changes). */
  async rewriteRoute(): Promise<number> {
    this.generation++;
    await writeManifests(this.dir, { "route.yaml": routeYaml(this.generation) });
    return this.generation;
  }

  /**
   * Starts backend n+1 and adds its EndpointSlice, removes the slice of
   * backend n-1; returns the new index and the backend to stop once the
   * gateway serves the new endpoints (its old requests drained).
   */
  async rollEndpoints(): Promise<{ index: number; retired?: EchoBackend }> {
    const index = ++this.rolls;
    const backend = startEchoBackend({ name: `soak-${index}`, hostname: "127.0.0.1", port: 0 });
    this.backends.set(index, backend);
    await writeManifests(this.dir, { [`slice-${index}.yaml`]: sliceYaml(index, backend.port) });
    const old = index - 2;
    const retired = this.backends.get(old);
    if (retired !== undefined) {
      this.backends.delete(old);
      await Deno.remove(`${this.dir}/slice-${old}.yaml`).catch(() => {});
    }
    return { index, retired };
  }

  /** Replaces the HTTPS certificate with one from a new CA; returns that CA's PEM. */
  async rotateCertificate(): Promise<string> {
    // Named by the CA's own count, never reused: the start-up certificate's
    // CA and the first rotation's must not share a subject in one bundle.
    await using ca = await createTestCa(`soak CA ${this.caPems.length + 1}`);
    const leaf = await ca.issue([SOAK_HOST]);
    // Known to the prober before the gateway can serve it.
    this.caPems.push(ca.certPem);
    this.rotations++;
    await writeManifests(this.dir, {
      "secret.yaml": tlsSecretYaml("soak-tls", leaf.certPem, leaf.keyPem),
    });
    return ca.certPem;
  }

  async close(): Promise<void> {
    for (const backend of this.backends.values()) await backend.close();
    this.backends.clear();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
