/**
 * An HTTPRoute backend's response trailers, end to end, on a port without
 * GRPCRoutes, with `--http1-engine own`: an HTTP/2 (h2c) backend's trailers
 * reach an HTTP/1.1 client that sent `TE: trailers` in the chunked trailer
 * section, and an h2c client as an HTTP/2 trailer block; so do an HTTP/1.1
 * backend's, when it announced them with a `Trailer` field, or to such a
 * client (and then the backend is asked with our own `TE: trailers`) even
 * unannounced. Deno's engine (`--http1-engine deno`) cannot send trailers at
 * all (`response_trailers.ts`): there they are dropped, as the README says,
 * and the backend is not asked for them.
 */
import { assertEquals } from "@std/assert";
import { startH2Backend } from "../_helpers/h2_backend.ts";
import { startChunkedBackend } from "../_helpers/chunked_backend.ts";
import { h2Get } from "../_helpers/h2_get.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import {
  appServiceYaml,
  gatewayYaml,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

/** Writes `text` and reads until the gateway closes the connection. */
async function exchange(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(text));
    let out = "";
    const buf = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return out;
      out += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

/**
 * A gateway on a fresh port whose one route sends `a.example` to Service `a`
 * (`services`: its manifest), with `--http1-engine engine`. Disposing it
 * stops the gateway and removes its manifests.
 */
async function trailerGateway(
  engine: "own" | "deno",
  services: string,
): Promise<{ port: number } & AsyncDisposable> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "serval-trailers-" });
  const removeDir = () => Deno.remove(dir, { recursive: true });
  try {
    await writeManifests(dir, {
      "gateway.yaml": gatewayYaml(port),
      "services.yaml": services,
      "routes.yaml": routeYaml("a", ["a.example"], prefixRule("/", "a")),
    });
    const gateway = await startGateway({ manifests: dir, args: ["--http1-engine", engine] });
    return {
      port,
      async [Symbol.asyncDispose]() {
        try {
          await gateway[Symbol.asyncDispose]();
        } finally {
          await removeDir();
        }
      },
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

Deno.test("--http1-engine own forwards an h2c backend's trailers to HTTP/1.1 and h2c clients", async () => {
  await using backend = await startH2Backend((stream) => {
    stream.respond({ ":status": 200, "content-type": "text/plain" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "abc" }));
    stream.end("hello");
  });
  await using gw = await trailerGateway(
    "own",
    appServiceYaml("a", backend.port, "kubernetes.io/h2c"),
  );
  const port = gw.port;

  const accepted = await exchange(
    port,
    "GET / HTTP/1.1\r\nHost: a.example\r\nTE: trailers\r\nConnection: close\r\n\r\n",
  );
  assertEquals(
    accepted.slice(accepted.indexOf("\r\n\r\n") + 4),
    "5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n",
  );

  const plain = await exchange(
    port,
    "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
  );
  assertEquals(plain.includes("x-checksum"), false, plain);
  assertEquals(plain.endsWith("hello") || plain.endsWith("5\r\nhello\r\n0\r\n\r\n"), true, plain);

  const h2c = await h2Get(port, { te: true });
  assertEquals(h2c.body, "hello");
  assertEquals(h2c.trailers["x-checksum"], "abc");
});

Deno.test("--http1-engine own forwards an HTTP/1.1 backend's announced trailers", async () => {
  const backend = startChunkedBackend();
  try {
    await using gw = await trailerGateway("own", serviceYaml("a", backend.port));
    const port = gw.port;
    const accepted = await exchange(
      port,
      "GET / HTTP/1.1\r\nHost: a.example\r\nTE: trailers\r\nConnection: close\r\n\r\n",
    );
    // The framing field and the malformed line are not passed on.
    assertEquals(
      accepted.slice(accepted.indexOf("\r\n\r\n") + 4),
      "5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n",
    );
    const plain = await exchange(
      port,
      "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
    );
    assertEquals(plain.slice(plain.indexOf("\r\n\r\n") + 4), "5\r\nhello\r\n0\r\n\r\n");
  } finally {
    await backend.close();
  }
});

/** Whether a request head the backend read carries our own `TE: trailers` and the `te` option. */
function askedForTrailers(head: string): boolean {
  const te = head.match(/\r\nte: *([^\r]*)/gi) ?? [];
  const told = te.length === 1 && /^\r\nte: *trailers$/i.test(te[0]);
  assertEquals(told || te.length === 0, true, `a client's own TE reached the backend: ${head}`);
  return told && /\r\nconnection: *te\r\n|\r\nconnection: *te$/i.test(head);
}

Deno.test("--http1-engine own: an HTTP/1.1 backend's unannounced trailers reach a client that sent TE: trailers and every h2c client, and only then is the backend asked for them", async () => {
  const backend = startChunkedBackend(false);
  try {
    await using gw = await trailerGateway("own", serviceYaml("a", backend.port));
    const port = gw.port;
    const accepted = await exchange(
      port,
      "GET / HTTP/1.1\r\nHost: a.example\r\nTE: deflate;q=0.5, trailers\r\nConnection: close, te\r\n\r\n",
    );
    assertEquals(
      accepted.slice(accepted.indexOf("\r\n\r\n") + 4),
      "5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n",
    );
    for (const te of ["", "TE: deflate\r\n"]) {
      const plain = await exchange(
        port,
        `GET / HTTP/1.1\r\nHost: a.example\r\n${te}Connection: close\r\n\r\n`,
      );
      assertEquals(plain.slice(plain.indexOf("\r\n\r\n") + 4), "5\r\nhello\r\n0\r\n\r\n");
    }
    // HTTP/2 trailers need no TE: an h2c client that did not send one gets them too.
    const h2c = await h2Get(port);
    assertEquals(h2c.body, "hello");
    assertEquals(h2c.trailers["x-checksum"], "abc");
    assertEquals(backend.heads.map(askedForTrailers), [true, false, false, true]);
  } finally {
    await backend.close();
  }
});

Deno.test("--http1-engine deno sends no trailers, so the backend is never asked for them", async () => {
  const backend = startChunkedBackend(false);
  try {
    await using gw = await trailerGateway("deno", serviceYaml("a", backend.port));
    const port = gw.port;
    const got = await exchange(
      port,
      "GET / HTTP/1.1\r\nHost: a.example\r\nTE: trailers\r\nConnection: close, te\r\n\r\n",
    );
    assertEquals(got.toLowerCase().includes("x-checksum"), false, got);
    assertEquals(got.includes("hello"), true, got);
    assertEquals(backend.heads.map(askedForTrailers), [false]);
  } finally {
    await backend.close();
  }
});
