/**
 * Nagle's algorithm is off on the connections the gateway's TLS listeners
 * accept (`listener_nodelay.ts`), checked on the accepted sockets themselves
 * (`getsockopt`), with a plain `Deno.listenTls` beside it as the control.
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { LIBC_PATHS } from "../../src/dataplane/libc.ts";
import {
  disableNagle,
  type NoDelayCount,
  portNoDelay,
} from "../../src/dataplane/listener_nodelay.ts";
import { connectTlsWithServerName, listenTlsWithSni } from "../../src/dataplane/tls_server.ts";
import { createTestCa, type TestCa, type TestCertificate } from "../_helpers/certs.ts";

const ON_LINUX = Deno.build.os === "linux";

/** A test on Linux with a fresh test CA and a leaf for `nagle.example.com`. */
function linuxTlsTest(
  name: string,
  fn: (ca: TestCa, leaf: TestCertificate) => void | Promise<void>,
): void {
  Deno.test({
    name,
    ignore: !ON_LINUX,
    async fn() {
      await using ca = await createTestCa();
      await fn(ca, await ca.issue(["nagle.example.com"]));
    },
  });
}

/** Accepts `count` TLS connections (handshake done) and returns what the server side says. */
async function acceptSome(
  listener: Deno.TlsListener,
  leaf: TestCertificate,
  caPem: string,
  count: number,
): Promise<NoDelayCount | undefined> {
  const port = (listener.addr as Deno.NetAddr).port;
  const clients: Deno.TlsConn[] = [];
  const servers: Deno.TlsConn[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const accepting = listener.accept();
      const client = await connectTlsWithServerName({
        hostname: "127.0.0.1",
        port,
        serverName: leaf.commonName,
        caCerts: [caPem],
        alpnProtocols: ["http/1.1"],
      });
      clients.push(client);
      const server = await accepting;
      servers.push(server);
      await Promise.all([client.handshake(), server.handshake()]);
    }
    return portNoDelay(port)?.accepted;
  } finally {
    for (const conn of [...clients, ...servers]) conn.close();
  }
}

linuxTlsTest(
  "connections a TLS listener of the gateway accepts have Nagle's algorithm off; Deno's own keep it on",
  async (ca, leaf) => {
    const ours = listenTlsWithSni({
      hostname: "127.0.0.1",
      port: 0,
      reusePort: false,
      keyPair: { cert: leaf.certPem, key: leaf.keyPem },
      resolve: () => undefined,
    });
    try {
      assertEquals(await acceptSome(ours, leaf, ca.certPem, 3), { sockets: 3, noDelay: 3 });
    } finally {
      ours.close();
    }
    // The control: without the listener's option, the accepted side has none.
    const plain = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: leaf.certPem,
      key: leaf.keyPem,
    });
    try {
      assertEquals(await acceptSome(plain, leaf, ca.certPem, 1), { sockets: 1, noDelay: 0 });
    } finally {
      plain.close();
    }
  },
);

linuxTlsTest(
  "a rotation's second listener on the same port (SO_REUSEPORT) gets the option too",
  async (ca, leaf) => {
    const options = {
      hostname: "127.0.0.1",
      reusePort: true,
      keyPair: { cert: leaf.certPem, key: leaf.keyPem },
      resolve: () => undefined,
    };
    const first = listenTlsWithSni({ ...options, port: 0 });
    const port = (first.addr as Deno.NetAddr).port;
    const second = listenTlsWithSni({ ...options, port });
    // Only the second accepts from now on: what a rotation does.
    first.close();
    try {
      assertEquals(await acceptSome(second, leaf, ca.certPem, 2), { sockets: 2, noDelay: 2 });
    } finally {
      second.close();
    }
  },
);

linuxTlsTest(
  "listeners bound on one port before the option is set (workers starting together) all get it",
  (_ca, leaf) => {
    const options = {
      hostname: "127.0.0.1",
      cert: leaf.certPem,
      key: leaf.keyPem,
      reusePort: true,
    };
    const first = Deno.listenTls({ ...options, port: 0 });
    const port = (first.addr as Deno.NetAddr).port;
    const second = Deno.listenTls({ ...options, port });
    try {
      assertEquals(portNoDelay(port)?.listening, { sockets: 2, noDelay: 0 });
      assertEquals(disableNagle(first.addr as Deno.NetAddr), { off: true });
      assertEquals(portNoDelay(port)?.listening, { sockets: 2, noDelay: 2 });
    } finally {
      first.close();
      second.close();
    }
    assertEquals(disableNagle(first.addr as Deno.NetAddr).off, false);
  },
);

/** Runs `_nagle_probe.ts` with these permission flags. */
async function probe(
  flags: string[],
  leaf: TestCertificate,
  dir: string,
): Promise<{ accepted: { sockets: number; noDelay: number } | null; logs: string[] }> {
  await Deno.writeTextFile(`${dir}/tls.crt`, leaf.certPem);
  await Deno.writeTextFile(`${dir}/tls.key`, leaf.keyPem);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read`,
      ...flags,
      new URL("./_nagle_probe.ts", import.meta.url).pathname,
      `${dir}/tls.crt`,
      `${dir}/tls.key`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert(output.success, stderr);
  return JSON.parse(new TextDecoder().decode(output.stdout).trim());
}

Deno.test({
  name:
    "with the binary's --allow-ffi (libc's paths only) the option is set; without it the listener serves and says why Nagle stays on",
  ignore: !ON_LINUX || !LIBC_PATHS.some((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  }),
  async fn() {
    await using ca = await createTestCa();
    const leaf = await ca.issue(["nagle.example.com"]);
    const scoped = await probe([`--allow-ffi=${LIBC_PATHS.join(",")}`], leaf, ca.dir);
    assertEquals(scoped, { accepted: { sockets: 1, noDelay: 1 }, logs: [] });
    const without = await probe([], leaf, ca.dir);
    assertEquals(without.accepted, null);
    assertEquals(without.logs.length, 1, without.logs.join("\n"));
    const line = JSON.parse(without.logs[0]);
    assertEquals(line.level, "warn");
    assertStringIncludes(line.msg, "Nagle");
    assertStringIncludes(line.reason, "no --allow-ffi");
  },
});
