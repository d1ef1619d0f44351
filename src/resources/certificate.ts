/**
 * Validation of a TLS certificate and private key pair (PEM), as found in a
 * `kubernetes.io/tls` Secret. Pure: no I/O; "now" comes from the caller.
 * Error messages never contain key material.
 * @module
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";

/** A usable certificate: what `/config` and the listener status may show about it. */
export interface CertificateInfo {
  /** DNS names from the leaf certificate's subjectAltName, in certificate order. */
  dnsNames: string[];
  /** RFC 3339 end of validity of the leaf certificate. */
  notAfter: string;
}

/** The result of {@linkcode validateCertificate}. */
export type CertificateResult =
  | ({ ok: true } & CertificateInfo)
  | { ok: false; error: string };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks that `certPem` holds at least one X.509 certificate, that `keyPem` is
 * a private key matching the first (leaf) certificate, and, when `now` is
 * given, that the leaf is currently valid.
 *
 * @example
 * ```ts
 * import { validateCertificate } from "./certificate.ts";
 * const result = validateCertificate("not a pem", "not a key");
 * // result.ok === false; result.error names the problem, never the key
 * ```
 */
export function validateCertificate(
  certPem: string,
  keyPem: string,
  now?: string,
): CertificateResult {
  return certificateValidAt(parseCertificatePair(certPem, keyPem), now);
}

/** A parsed pair: {@linkcode CertificateResult} before the validity period is checked. */
export type ParsedCertificate =
  | ({ ok: true; notBefore: string } & CertificateInfo)
  | { ok: false; error: string };

/**
 * The part of {@linkcode validateCertificate} that does not depend on the
 * time (parsing keys is costly: callers may keep the result per Secret).
 *
 * @example
 * ```ts
 * import { certificateValidAt, parseCertificatePair } from "./certificate.ts";
 * certificateValidAt(parseCertificatePair("not a pem", "not a key"), "2030-01-01T00:00:00Z").ok; // false
 * ```
 */
export function parseCertificatePair(certPem: string, keyPem: string): ParsedCertificate {
  const blocks = certPem.match(PEM_CERTIFICATE);
  if (!blocks) {
    return { ok: false, error: "Cannot parse certificate: tls.crt holds no PEM CERTIFICATE block" };
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]);
    for (const block of blocks.slice(1)) new X509Certificate(block);
  } catch {
    return { ok: false, error: "Cannot parse certificate: tls.crt holds a malformed certificate" };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    // The parser's own message could quote key bytes; say only what failed.
    return { ok: false, error: "Cannot parse private key: tls.key is not a PEM private key" };
  }
  let matches = false;
  try {
    matches = leaf.checkPrivateKey(key);
  } catch {
    matches = false;
  }
  if (!matches) {
    return {
      ok: false,
      error: `Cannot use private key: tls.key does not match the certificate for "${leaf.subject}"`,
    };
  }
  return {
    ok: true,
    dnsNames: parseDnsNames(leaf.subjectAltName),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
  };
}

/** `parsed`, refused when `now` (RFC 3339) is outside its validity period. */
export function certificateValidAt(parsed: ParsedCertificate, now?: string): CertificateResult {
  if (!parsed.ok) return parsed;
  if (now !== undefined) {
    const nowMs = Date.parse(now);
    if (!Number.isNaN(nowMs)) {
      if (nowMs > Date.parse(parsed.notAfter)) {
        return { ok: false, error: `Cannot use certificate: it expired at ${parsed.notAfter}` };
      }
      if (nowMs < Date.parse(parsed.notBefore)) {
        return {
          ok: false,
          error: `Cannot use certificate: it is not valid before ${parsed.notBefore}`,
        };
      }
    }
  }
  return { ok: true, dnsNames: parsed.dnsNames, notAfter: parsed.notAfter };
}

function parseDnsNames(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName.split(/,\s*/)
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4));
}
