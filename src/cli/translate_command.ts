/**
 * `serval-k8s-gateway translate PATH...`: the offline twin of `run`. Reads
 * manifest files and directories exactly as the files source does, runs the
 * same `translate`, and prints `{ config, certificates, statuses, problems }`
 * as JSON, private keys left out. Exit 0 when there is no problem, 1 when
 * there is any (so CI can gate manifests on it), 2 when a path is unreadable.
 *
 * @example
 * ```sh
 * serval-k8s-gateway translate examples/ > compiled.json
 * ```
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import type { GatewayResource } from "../resources/types.ts";
import { toGatewayAddresses } from "../runtime/gateway_addresses.ts";
import type { GatewayOptions } from "../runtime/gateway_options.ts";
import { createManifestCatalog } from "../source/files_catalog.ts";
import { RESOURCE_KINDS } from "../resources/types.ts";
import { listManifestFiles } from "../source/files_walk.ts";
import { createStore } from "../source/store.ts";
import type { CertificateConfig, TranslateResult } from "../model/config.ts";
import { translate } from "../translate/translate.ts";
import type { CliIo } from "./cli.ts";
import { UsageError } from "./flags.ts";

/** What `translate` prints: the result with certificates stripped of their keys. */
export interface TranslateReport {
  config: TranslateResult["config"];
  certificates: Omit<CertificateConfig, "keyPem">[];
  statuses: TranslateResult["statuses"];
  /** Source problems (parse, validation) first, then translate's. */
  problems: TranslateResult["problems"];
}

async function filesOf(path: string): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new UsageError(
      `Cannot read ${path}: ${errorMessage(error)}`,
    );
  }
  if (!info.isDirectory) return [path];
  const listing = await listManifestFiles(path);
  if (!listing.ok) throw new UsageError(`Cannot read ${path}: ${listing.error}`);
  return listing.files;
}

/** Reads `paths`, translates them and builds the report (no output). */
export async function buildTranslateReport(
  paths: string[],
  options: Pick<GatewayOptions, "controllerName" | "gatewayAddresses" | "gatewayAddressPool">,
  now: Date = new Date(),
): Promise<TranslateReport> {
  const catalog = createManifestCatalog();
  const seen = new Set<string>();
  for (const path of paths) {
    for (const file of await filesOf(path)) {
      if (seen.has(file)) continue;
      seen.add(file);
      try {
        catalog.update(file, await Deno.readTextFile(file));
      } catch (error) {
        catalog.readFailed(file, errorMessage(error));
      }
    }
  }
  const contents = catalog.merge();
  const store = createStore();
  try {
    for (const kind of RESOURCE_KINDS) {
      store.replaceKind(kind, contents.objects[kind] as GatewayResource[]);
    }
    const result = translate(store.snapshot(), {
      controllerName: options.controllerName,
      now: now.toISOString(),
      ...(options.gatewayAddressPool === undefined
        ? { gatewayAddresses: toGatewayAddresses(options.gatewayAddresses) }
        : { addressPool: options.gatewayAddressPool }),
    });
    return {
      config: result.config,
      certificates: result.certificates.map(({ keyPem: _key, ...rest }) => rest),
      statuses: result.statuses,
      problems: [...contents.problems, ...result.problems],
    };
  } finally {
    store.close();
  }
}

/** Runs the command: prints the report to stdout, a one-line summary to stderr. */
export async function runTranslateCommand(
  paths: string[],
  options: GatewayOptions,
  io: CliIo,
): Promise<number> {
  const report = await buildTranslateReport(paths, options);
  io.stdout(JSON.stringify(report, null, 2) + "\n");
  if (report.problems.length > 0) {
    io.stderr(
      `${report.problems.length} problem(s) found; the first: ${report.problems[0].object}` +
        `${report.problems[0].field ? ` ${report.problems[0].field}` : ""}: ${
          report.problems[0].message
        }\n`,
    );
    return 1;
  }
  return 0;
}
