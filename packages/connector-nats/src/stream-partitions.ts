import { JetStreamApiCodes, jetstreamManager } from "@nats-io/jetstream";
import { type NatsSourceConfig, secretsOf } from "./config.js";
import { connectNats } from "./connect.js";
import { withServers } from "./consumer-cleanup.js";
import { isApiError, toJetflowError } from "./nats-errors.js";

/** The N of the first `{{partition(N, ...)}}` in a subject transform's destination. */
const PARTITION_FN = /\{\{\s*partition\(\s*(\d+)\s*,/i;

/**
 * The partition count of a subject transform destination (`orders.{{partition(8,1)}}.{{wildcard(1)}}`
 * gives 8), or undefined when it does not partition.
 */
export function partitionCountOf(dest: string | undefined): number | undefined {
  const n = dest === undefined ? undefined : PARTITION_FN.exec(dest)?.[1];
  return n === undefined ? undefined : Number(n);
}

/**
 * How many partitions the source's stream splits its subjects into by its own subject transform
 * (nats-server 2.10+), connecting once to ask; undefined when it has none (or no such stream yet:
 * the source's own open reports that). A stream partitioned by an account mapping cannot be seen
 * from here.
 */
export async function streamPartitionCount(
  config: NatsSourceConfig,
  options: { readonly servers?: readonly string[] | undefined } = {},
): Promise<number | undefined> {
  const cfg = withServers(config, options.servers);
  const secrets = secretsOf(cfg);
  const nc = await connectNats(cfg);
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const info = await jsm.streams.info(cfg.stream);
    return partitionCountOf(info.config.subject_transform?.dest);
  } catch (e) {
    if (isApiError(e, JetStreamApiCodes.StreamNotFound)) return undefined;
    throw toJetflowError(e, { doing: `reading stream '${cfg.stream}'`, stream: cfg.stream, secrets });
  } finally {
    await nc.close().catch(() => undefined);
  }
}
