/**
 * Bearer tokens for the admin API, read from a file (`--admin-token-file`):
 * one token a line, so a rotation can add the new token before removing the
 * old one. The file is read again when its modification time or size
 * changes, so a rotated Secret is picked up without a restart; a file that
 * cannot be read keeps the last tokens read (a rename in progress) and is
 * logged. Tokens are compared through their SHA-256 digests, byte by byte
 * without an early exit, so the time taken says nothing about how much of a
 * guess was right, nor about a token's length.
 * @module
 */
import type { Logger } from "../log/logger.ts";

/** The tokens the admin API accepts. */
export interface AdminTokens {
  /** Whether `presented` is one of the current tokens. */
  accepts(presented: string): Promise<boolean>;
}

/** File access of {@linkcode createTokenFile}, replaceable in tests. */
export interface TokenFileAccess {
  stat(path: string): Promise<{ mtime: Date | null; size: number }>;
  readTextFile(path: string): Promise<string>;
}

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Equal 32-byte digests, in time that does not depend on where they differ. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Reads tokens from `path` (blank lines and surrounding spaces ignored).
 *
 * @example
 * ```ts
 * import { createTokenFile } from "./admin_token.ts";
 * import { createLogger } from "../log/logger.ts";
 * const tokens = createTokenFile("/etc/serval-k8s-gateway/admin-token", createLogger());
 * await tokens.accepts("s3cret");
 * ```
 */
export function createTokenFile(
  path: string,
  logger: Logger,
  files: TokenFileAccess = Deno,
): AdminTokens {
  let version = "";
  let digests: Uint8Array[] = [];

  async function current(): Promise<Uint8Array[]> {
    try {
      const info = await files.stat(path);
      const seen = `${info.mtime?.getTime() ?? 0}/${info.size}`;
      if (seen === version) return digests;
      const tokens = (await files.readTextFile(path)).split("\n").map((t) => t.trim())
        .filter((t) => t !== "");
      digests = await Promise.all(tokens.map(digest));
      version = seen;
      if (digests.length === 0) logger.warn("admin token file holds no token", { path });
    } catch (error) {
      logger.warn("cannot read the admin token file; keeping the tokens read before", {
        path,
        error: (error as Error)?.message ?? String(error),
      });
    }
    return digests;
  }

  return {
    async accepts(presented) {
      const wanted = await current();
      const got = await digest(presented);
      let ok = false;
      // Every token is compared, so the time does not say which one matched.
      for (const d of wanted) ok = sameDigest(d, got) || ok;
      return ok;
    },
  };
}
