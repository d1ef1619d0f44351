/**
 * The status side of the kube source, ready for the runtime: its own API
 * client, leader election when asked (`--leader-elect`), and the status
 * writer fed by the reconciler. Matches the runtime's `StatusWriterPart` seam.
 *
 * @example
 * ```ts ignore
 * // in the runtime's parts:
 * createStatusWriter: (source, ctx) =>
 *   createKubeStatusPart({
 *     store: source.store,
 *     controllerName: ctx.options.controllerName,
 *     leaderElect: ctx.options.leaderElect,
 *     leaderElectionNamespace: ctx.options.leaderElectionNamespace,
 *     kubeconfig: ctx.options.kubeconfig,
 *     env: ctx.env,
 *     logger: ctx.logger,
 *   }),
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { createKubeClient, type KubeClient } from "../kube/client.ts";
import { loadKubeConnection } from "../kube/kubeconfig.ts";
import type { Store } from "../source/store.ts";
import type { TranslateResult } from "../model/config.ts";
import {
  ALWAYS_LEADER,
  createLeaderElector,
  defaultElectionNamespace,
  type LeaderElector,
  type LeaderElectorOptions,
} from "./leader_election.ts";
import {
  createStatusWriter,
  type StatusWriteOutcome,
  type StatusWriterOptions,
} from "./status_writer.ts";

/** Options of {@linkcode createKubeStatusPart}. */
export interface KubeStatusPartOptions {
  store: Pick<Store, "list">;
  controllerName: string;
  leaderElect: boolean;
  /** Absent: the namespace of the connection (the pod's), else `default`. */
  leaderElectionNamespace?: string;
  kubeconfig?: string;
  env?: Record<string, string | undefined>;
  logger: Logger;
  /** An existing client; absent: one is made from the same connection settings as the source. */
  client?: KubeClient;
  /** Timings and Lease name (tests). */
  election?: Partial<
    Pick<
      LeaderElectorOptions,
      "name" | "identity" | "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs"
    >
  >;
  writer?: Partial<Pick<StatusWriterOptions, "rateLimit" | "maxConflictRetries">>;
  /** Told each status write outcome (metrics). */
  onWrite?: (outcome: StatusWriteOutcome) => void;
}

/** The part the runtime holds: a sink for results, `/config` extras, and stop. */
export interface KubeStatusPart {
  sink(result: TranslateResult): void;
  extra(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Creates the client, starts the election (if enabled) and the writer. */
export async function createKubeStatusPart(
  options: KubeStatusPartOptions,
): Promise<KubeStatusPart> {
  const env = options.env;
  const connection = options.client ? undefined : await loadKubeConnection({
    kubeconfig: options.kubeconfig,
    env: env ? (name) => env[name] : undefined,
  });
  const client = options.client ?? createKubeClient(connection!);
  let elector: LeaderElector | undefined;
  if (options.leaderElect) {
    const namespace = options.leaderElectionNamespace ?? connection?.namespace ??
      await defaultElectionNamespace();
    elector = createLeaderElector({
      client,
      namespace,
      logger: options.logger,
      ...options.election,
      identity: options.election?.identity ?? podIdentity(env),
    });
  }
  const writer = createStatusWriter({
    client,
    store: options.store,
    controllerName: options.controllerName,
    logger: options.logger,
    leadership: elector ?? ALWAYS_LEADER,
    onWrite: options.onWrite,
    ...options.writer,
  });
  elector?.start();
  return {
    sink: writer.update,
    extra: () => ({
      leaderElection: elector?.state() ?? { enabled: false, leader: true },
      statusWriter: writer.stats(),
    }),
    async stop() {
      await writer.stop();
      await elector?.stop();
      if (!options.client) client.close();
    },
  };
}

function podIdentity(env: Record<string, string | undefined> | undefined): string | undefined {
  const pod = env?.POD_NAME ?? env?.HOSTNAME;
  return pod ? `${pod}_${crypto.randomUUID().slice(0, 8)}` : undefined;
}
