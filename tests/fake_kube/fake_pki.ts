/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1 and
 * `localhost`, made with the openssl CLI at test time (nothing secret is
 * committed). Memoised per process: every fake API server of a test run shares it.
 * @module
 */

/** PEM material and the files it was written to. */
export interface FakePki {
  dir: string;
  caPem: string;
  caFile: string;
  certPem: string;
  keyPem: string;
}

let pending: Promise<FakePki> | undefined;

/** Generates (once per process) a CA and a server certificate signed by it. */
export function fakePki(): Promise<FakePki> {
  pending ??= generate();
  return pending;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `Cannot run openssl ${args[0]}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

async function generate(): Promise<FakePki> {
  const dir = await Deno.makeTempDir({ prefix: "fake-kube-pki-" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=fake-kube-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await openssl([
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=fake-kube-apiserver",
  ], dir);
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "",
    ].join("\n"),
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  ], dir);
  return {
    dir,
    caPem: await Deno.readTextFile(`${dir}/ca.crt`),
    caFile: `${dir}/ca.crt`,
    certPem: await Deno.readTextFile(`${dir}/server.crt`),
    keyPem: await Deno.readTextFile(`${dir}/server.key`),
  };
}
