/**
 * Test-time PKI built with the `openssl` CLI: a throwaway CA and leaf
 * certificates it signs, so TLS tests run with verification on (clients trust
 * only this CA). EC P-256 keys keep generation fast.
 *
 * @example
 * ```ts ignore
 * import { createTestCa } from "./certs.ts";
 * await using ca = await createTestCa();
 * const leaf = await ca.issue(["a.example.com", "*.b.example.com"]);
 * // leaf.certPem, leaf.keyPem; trust ca.certPem in the client
 * ```
 * @module
 */

/** A certificate and its private key, PEM. */
export interface TestCertificate {
  certPem: string;
  keyPem: string;
  /** The subject common name (the first DNS name unless given). */
  commonName: string;
}

/** Options of {@linkcode TestCa.issue}. */
export interface IssueOptions {
  /** Defaults to the first DNS name. */
  commonName?: string;
  /**
   * Validity in days, from now (at least 1; default 2). For expiry tests, pass
   * a later "now" to the code under test instead: openssl 3.0 cannot backdate.
   */
  days?: number;
  /** Issue a client certificate (`extendedKeyUsage=clientAuth`) instead of a server one. */
  clientAuth?: boolean;
  /**
   * Valid only on 2020-01-01 (`openssl ca` takes explicit dates where
   * `openssl x509` cannot backdate), for TLS stacks that read the real clock.
   */
  expired?: boolean;
  /** The subject organization (`O=`), e.g. a Kubernetes group such as `system:masters`. */
  organization?: string;
}

/** A CA that issues leaf certificates; disposing removes its files. */
export interface TestCa extends AsyncDisposable {
  certPem: string;
  /** Directory holding the CA's files. */
  dir: string;
  issue(dnsNames: string[], options?: IssueOptions): Promise<TestCertificate>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const output = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(
      `Cannot run openssl ${args[0]}: ${new TextDecoder().decode(output.stderr).trim()}`,
    );
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Creates a CA in a temporary directory. */
export async function createTestCa(name = "serval test CA"): Promise<TestCa> {
  const dir = await Deno.makeTempDir({ prefix: "serval-ca-" });
  await openssl(
    [
      "req",
      "-x509",
      ...EC_KEY,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "3",
      "-subj",
      `/CN=${name}`,
    ],
    dir,
  );
  const certPem = await Deno.readTextFile(`${dir}/ca.crt`);
  let serial = 0;

  return {
    certPem,
    dir,
    async issue(dnsNames, options = {}) {
      const id = `leaf${++serial}`;
      const commonName = options.commonName ?? dnsNames[0] ?? id;
      await openssl(
        [
          "req",
          ...EC_KEY,
          "-keyout",
          `${id}.key`,
          "-out",
          `${id}.csr`,
          "-subj",
          (options.organization ? `/O=${options.organization}` : "") + `/CN=${commonName}`,
        ],
        dir,
      );
      // Literal addresses become IP SANs (clients that dial 127.0.0.1 send no SNI).
      const san = dnsNames.map((n) => /^[0-9.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`).join(",");
      await Deno.writeTextFile(
        `${dir}/${id}.ext`,
        `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=${
          options.clientAuth ? "clientAuth" : "serverAuth"
        }\n` +
          (san ? `subjectAltName=${san}\n` : ""),
      );
      if (options.expired) {
        await signExpired(dir, id);
        return {
          certPem: await Deno.readTextFile(`${dir}/${id}.crt`),
          keyPem: await Deno.readTextFile(`${dir}/${id}.key`),
          commonName,
        };
      }
      const days = Math.max(1, options.days ?? 2);
      await openssl(
        [
          "x509",
          "-req",
          "-in",
          `${id}.csr`,
          "-CA",
          "ca.crt",
          "-CAkey",
          "ca.key",
          "-set_serial",
          String(1000 + serial),
          "-out",
          `${id}.crt`,
          "-days",
          String(days),
          "-extfile",
          `${id}.ext`,
        ],
        dir,
      );
      return {
        certPem: await Deno.readTextFile(`${dir}/${id}.crt`),
        keyPem: await Deno.readTextFile(`${dir}/${id}.key`),
        commonName,
      };
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

let shared: Promise<TestCa> | undefined;

/**
 * One CA for the whole test process, made on first use (as the fake API
 * server's PKI is): for tests that need some CA their clients trust, not a
 * CA of their own. Disposing it does nothing; its files stay in the temporary
 * directory.
 */
export function sharedTestCa(): Promise<TestCa> {
  shared ??= createTestCa("serval shared test CA").then((ca) => ({
    certPem: ca.certPem,
    dir: ca.dir,
    issue: ca.issue,
    [Symbol.asyncDispose]: () => Promise.resolve(),
  }));
  return shared;
}

/** Signs `<id>.csr` as valid from 2020-01-01 to 2020-01-02 only. */
async function signExpired(dir: string, id: string): Promise<void> {
  await Deno.mkdir(`${dir}/db`, { recursive: true });
  await Deno.writeTextFile(`${dir}/db/index.txt`, "");
  await Deno.writeTextFile(`${dir}/db/serial`, "2000\n");
  await Deno.writeTextFile(
    `${dir}/db/ca.conf`,
    "[ca]\ndefault_ca = test\n[test]\ndatabase = db/index.txt\nserial = db/serial\n" +
      "new_certs_dir = db\ndefault_md = sha256\npolicy = any\nunique_subject = no\n" +
      "[any]\ncommonName = supplied\n",
  );
  await openssl(
    [
      "ca",
      "-batch",
      "-config",
      "db/ca.conf",
      "-cert",
      "ca.crt",
      "-keyfile",
      "ca.key",
      "-in",
      `${id}.csr`,
      "-out",
      `${id}.crt`,
      "-startdate",
      "20200101000000Z",
      "-enddate",
      "20200102000000Z",
      "-extfile",
      `${id}.ext`,
      "-notext",
    ],
    dir,
  );
}
