/**
 * @jetflow/group: processes forming a group over NATS itself: membership by leases in a KV
 * bucket, partitions spread by rendezvous hashing, ownership fenced by KV revisions.
 *
 * ```ts
 * const group = await createOrJoinGroup(nc, { group: "orders", partitions: 16 });
 * const member = await GroupMember.join(group);
 * member.events$.subscribe((e) => e.type === "owned" && console.log(e.partitions));
 * ```
 */
export { fnv1a32, partitionOf } from "./partition.js";
export { assignPartitions } from "./rendezvous.js";
export { createOrJoinGroup, openGroup, requireGroupServer } from "./group.js";
export { groupBucket, GroupKeys, parseKey } from "./group-keys.js";
export type { MemberValue, ParsedKey, PartitionValue, StoredConfig } from "./group-keys.js";
export type { Group, GroupOptions } from "./group.js";
export { GroupMember } from "./group-member.js";
export type { GroupEvent, MemberOptions, ReleaseReason } from "./group-member.js";
export { PartitionTasks } from "./partition-tasks.js";
export type { PartitionTask, PartitionTaskEvent, PartitionTasksOptions } from "./partition-tasks.js";
export { isPartitionPointer, openStateBucket, PartitionBackend } from "./partition-backend.js";
export type { PartitionBackendOptions, PartitionPointer, StateBucketOptions } from "./partition-backend.js";
export { groupStatus } from "./group-status.js";
export type { GroupStatus, MemberStatus } from "./group-status.js";
export { ExchangeError, GroupError } from "./errors.js";
export { keyToken, partitionOfRow, partitionsOfRows } from "./partition-key.js";
export { ensureExchangeStream, exchangeStreamName, exchangeSubject, exchangeSubjects } from "./exchange-stream.js";
export type { ExchangeStreamOptions } from "./exchange-stream.js";
export { decodeChange, encodeChange, OP_COLUMN } from "./exchange-codec.js";
export { ExchangeWriter } from "./exchange-writer.js";
export type { ExchangeWriterOptions, SealedEpoch } from "./exchange-writer.js";
export { ExchangeReader } from "./exchange-reader.js";
export type { ExchangeChange, ExchangeReaderOptions } from "./exchange-reader.js";
export { exchangeFeed } from "./exchange-feed.js";
export type { ExchangeFeedOptions } from "./exchange-feed.js";
export { ExchangeSink } from "./exchange-sink.js";
export type { ExchangeSinkOptions } from "./exchange-sink.js";
export { decodeQuery, decodeReply, encodeQuery, partitionQuerySubject } from "./partition-query.js";
export type { PartitionQuery, PartitionQueryReply, QueryRows } from "./partition-query.js";
export { servePartitionQueries } from "./partition-query-service.js";
export type { PartitionQueryService } from "./partition-query-service.js";
export { queryGroup, queryGroupTable } from "./group-query.js";
export type { GroupQueryOptions } from "./group-query.js";
export { planGroup, stepsOf, HIDDEN_PREFIX } from "./group-plan.js";
export type { GroupPlan, PartitionStep, Placement, PlacedRelation } from "./group-plan.js";
export { PipelineTask } from "./pipeline-task.js";
export { groupLag, PROGRESS_RELATION, progressOf, progressRows } from "./group-lag.js";
export type { PartitionProgress } from "./group-lag.js";
export type { PipelineTaskSetup } from "./pipeline-task.js";
export { GroupPipeline } from "./group-pipeline.js";
export type { GroupPipelineOptions } from "./group-pipeline.js";
export { deleteGroup } from "./group-delete.js";
export type { DeletedGroup } from "./group-delete.js";
