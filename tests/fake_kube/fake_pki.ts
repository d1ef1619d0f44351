/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1 and
 * `localhost`, made by the test PKI (`../_helpers/certs.ts`) at test time
 * (nothing secret is committed). Memoised per process: every fake API server
 * of a test run shares it.
 * @module
 */
import { createTestCa } from "../_helpers/certs.ts";

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

async function generate(): Promise<FakePki> {
  const ca = await createTestCa("fake-kube-ca");
  const server = await ca.issue(["127.0.0.1", "localhost"], {
    commonName: "fake-kube-apiserver",
  });
  return {
    dir: ca.dir,
    caPem: ca.certPem,
    caFile: `${ca.dir}/ca.crt`,
    certPem: server.certPem,
    keyPem: server.keyPem,
  };
}
