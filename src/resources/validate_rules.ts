/**
 * The field constraints shared by several kinds, as the Gateway API CRDs
 * (`apis/v1/shared_types.go`) and the Kubernetes API server define them.
 * Patterns are compiled once here: validation runs on every watch event.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { HOSTNAME } from "./validate_rules.ts";
 * const c = new FieldChecker();
 * c.string("*.example.com", "spec.hostnames[0]", HOSTNAME); // no error
 * ```
 * @module
 */
import type { IntegerRule, StringRule } from "./validate_fields.ts";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A TCP/UDP port, 1–65535. */
export const PORT: IntegerRule = { min: 1, max: 65535 };
/** A required TCP/UDP port. */
export const REQUIRED_PORT: IntegerRule = { required: true, min: 1, max: 65535 };

/** `Hostname`: RFC 1123 DNS name, lower case, optionally prefixed by `*.`. */
export const HOSTNAME: StringRule = {
  minLength: 1,
  maxLength: 253,
  pattern: /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  patternHint: 'a lower-case RFC 1123 hostname, optionally prefixed by "*."',
};

/** `PreciseHostname`: an RFC 1123 DNS name without wildcard. */
export const PRECISE_HOSTNAME: StringRule = {
  minLength: 1,
  maxLength: 253,
  pattern: DNS_SUBDOMAIN,
  patternHint: "a lower-case RFC 1123 hostname without wildcard",
};

/** `ObjectName`: 1–253 characters (the API server checks the format of its own kinds' names). */
export const OBJECT_NAME: StringRule = { minLength: 1, maxLength: 253 };
/** A required `ObjectName`. */
export const REQUIRED_OBJECT_NAME: StringRule = { ...OBJECT_NAME, required: true };

/** `metadata.name` of most kinds: an RFC 1123 DNS subdomain. */
export const DNS_SUBDOMAIN_NAME: StringRule = {
  required: true,
  minLength: 1,
  maxLength: 253,
  pattern: DNS_SUBDOMAIN,
  patternHint: "a lower-case RFC 1123 subdomain (letters, digits, '-' and '.')",
};

/** `metadata.name` of Namespaces: an RFC 1123 DNS label. */
export const DNS_LABEL_NAME: StringRule = {
  required: true,
  minLength: 1,
  maxLength: 63,
  pattern: DNS_LABEL,
  patternHint: "a lower-case RFC 1123 label (letters, digits and '-')",
};

/** `metadata.name` of Services: an RFC 1035 DNS label (starts with a letter). */
export const DNS_1035_NAME: StringRule = {
  required: true,
  minLength: 1,
  maxLength: 63,
  pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
  patternHint: "a lower-case RFC 1035 label (starts with a letter; letters, digits and '-')",
};

/** `Namespace`: an RFC 1123 label. */
export const NAMESPACE: StringRule = {
  minLength: 1,
  maxLength: 63,
  pattern: DNS_LABEL,
  patternHint: "a lower-case RFC 1123 label (letters, digits and '-')",
};

/** `SectionName`: an RFC 1123 subdomain. */
export const SECTION_NAME: StringRule = {
  minLength: 1,
  maxLength: 253,
  pattern: DNS_SUBDOMAIN,
  patternHint: "a lower-case RFC 1123 subdomain (letters, digits, '-' and '.')",
};

/** `Group`: empty (the core group) or an RFC 1123 subdomain. */
export const GROUP: StringRule = {
  maxLength: 253,
  pattern: /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  patternHint: 'empty or a lower-case RFC 1123 subdomain (e.g. "gateway.networking.k8s.io")',
};

/** `Kind`: a CamelCase identifier. */
export const KIND: StringRule = {
  minLength: 1,
  maxLength: 63,
  pattern: /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/,
  patternHint: "a kind name such as \"Service\" (letters, digits and '-')",
};

/** `HeaderName`: an RFC 7230 token. */
export const HEADER_NAME: StringRule = {
  required: true,
  minLength: 1,
  maxLength: 256,
  pattern: /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/,
  patternHint: "a valid HTTP header name (RFC 7230 token characters only)",
};

/** `GatewayController`: `<domain>/<path>`. */
export const GATEWAY_CONTROLLER: StringRule = {
  required: true,
  minLength: 1,
  maxLength: 253,
  pattern:
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$/,
  patternHint: 'a domain-prefixed path such as "example.net/gateway-controller"',
};

/** `Duration` (GEP-2257): one to four `<1-5 digits><h|m|s|ms>` components. */
export const DURATION: StringRule = {
  pattern: /^([0-9]{1,5}(h|m|s|ms)){1,4}$/,
  patternHint: 'a duration such as "10s", "500ms" or "1m30s" (units h, m, s, ms)',
};

/** A label or annotation key: optional DNS prefix and `/`, then a name of up to 63 characters. */
export const LABEL_KEY: StringRule = {
  minLength: 1,
  maxLength: 317,
  pattern:
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/,
  patternHint:
    'an optional DNS prefix and "/" followed by a name of letters, digits, "-", "_", "."',
};

/** A label value: at most 63 characters, alphanumeric at both ends. */
export const LABEL_VALUE: StringRule = {
  maxLength: 63,
  pattern: /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/,
  patternHint: 'empty or letters, digits, "-", "_", "." starting and ending alphanumeric',
};

/** `ProtocolType`: a core name such as `HTTPS`, or a domain-prefixed one. */
export const PROTOCOL: StringRule = {
  required: true,
  minLength: 1,
  maxLength: 255,
  pattern:
    /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/,
  patternHint: 'a protocol name such as "HTTP" or "HTTPS"',
};
