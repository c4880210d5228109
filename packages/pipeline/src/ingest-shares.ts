import { DEFAULT_PULL_MESSAGES, type NatsSourceConfig, streamPartitionCount } from "@jetflow/connector-nats";
import { InvalidOptionError } from "@jetflow/core";
import {
  PARTITION_COUNT_KEY,
  partitionCountOption,
  partitionShareOptions,
  partitionTokenOf,
  subjectsOf,
} from "./partition-token.js";

/**
 * The consumers one input reads through: the connector's WITH options (`connector`: `withOptions`
 * less jetflow's own keys) as one share, or, for a
 * stream that nats-server partitions itself (`group.partition_token` and a `{{partition(N, ...)}}`
 * subject transform on the stream), one share per partition, each filtering its partition's
 * subjects (`partitionShareOptions`). Rows of one primary key are in one partition, in stream
 * order, so applying the shares' batches in any interleaving gives each key's updates in order.
 * With reader threads the shares read in parallel; on one thread they read one after another.
 *
 * The count is the stream's transform's, or `group.partition_count` for a stream partitioned by an
 * account or server mapping (nats-server 2.9 has no stream transforms); both given, they must be
 * equal. The layout follows the stream, never the thread count, so a checkpoint's offsets (keyed
 * by each share's subjects) resume on any `workers`. Without a count the input is read whole.
 */
export async function readShares(
  withOptions: Readonly<Record<string, string>>,
  connector: Readonly<Record<string, string>>,
  config: NatsSourceConfig,
  servers: readonly string[] | undefined,
): Promise<Record<string, string>[]> {
  const token = partitionTokenOf(withOptions);
  if (token === undefined) return [{ ...connector }];
  const declared = partitionCountOption(withOptions);
  const transform = await streamPartitionCount(config, { servers });
  if (declared !== undefined && transform !== undefined && declared !== transform) {
    throw new InvalidOptionError(
      PARTITION_COUNT_KEY,
      `${PARTITION_COUNT_KEY} = '${declared}', but stream '${config.stream}' partitions its subjects into ${transform}: they must be equal`,
    );
  }
  const count = declared ?? transform;
  if (count === undefined) return [{ ...connector }];
  return Array.from({ length: count }, (_, p) => partitionShareOptions(connector, token, p));
}

/** The least a share pulls at a time, however many shares there are. */
export const MIN_SHARE_PULL = 1_000;

/**
 * Messages per pull for each of `shares` shares of one input: together they pull what one
 * consumer would, so reading a partitioned stream holds no more in flight than reading it whole
 * (down to {@link MIN_SHARE_PULL} each, so a share still gets batches worth applying).
 *
 * @example
 * ```ts
 * sharePull(4); // 2_500
 * ```
 */
export function sharePull(shares: number): number {
  return shares <= 1 ? DEFAULT_PULL_MESSAGES : Math.max(MIN_SHARE_PULL, Math.ceil(DEFAULT_PULL_MESSAGES / shares));
}

/**
 * Offsets for per-partition shares from a checkpoint of the whole input (taken before the
 * stream was partitioned, or by a version that read it whole): a stream sequence is global, so
 * every partition resumes after the whole input's offset for the subject it narrows. Keys a
 * share already has are kept; the whole input's keys are dropped.
 */
export function shareOffsets(
  resume: ReadonlyMap<string, number>,
  whole: Readonly<Record<string, string>>,
  shares: readonly Readonly<Record<string, string>>[],
): Map<string, number> {
  if (shares.length === 1) return new Map(resume);
  const wholeSubjects = subjectsOf(whole);
  const out = new Map(resume);
  for (const s of wholeSubjects) out.delete(s);
  for (const share of shares) {
    subjectsOf(share).forEach((subject, i) => {
      const from = resume.get(wholeSubjects[i] as string);
      if (!out.has(subject) && from !== undefined) out.set(subject, from);
    });
  }
  return out;
}
