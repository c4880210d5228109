// Test-only child process: a group member running PartitionTasks with a reference task, so a
// test can SIGKILL it mid-run. Run from the build:
//   node dist/testing/tasks-child.js URL GROUP LEASE_SECONDS NAME STREAM PREFIX STATE_BUCKET COMMIT_MS [TASK]
// TASK: "counter" (partitioned-counter.ts, the default) or "two-stage" (two-stage-task.ts, over
// the group's exchange). Prints every GroupEvent and PartitionTaskEvent as one JSON line; serves
// the queries its tasks answer (servePartitionQueries); runs until it is killed.
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { createOrJoinGroup } from "../group.js";
import { GroupMember } from "../group-member.js";
import { servePartitionQueries } from "../partition-query-service.js";
import { type PartitionTask, PartitionTasks } from "../partition-tasks.js";
import { PartitionedCounter } from "./partitioned-counter.js";
import { TwoStageTask } from "./two-stage-task.js";

const [url, groupName, lease, name, stream, prefix, bucket, commitMs, task = "counter"] = process.argv.slice(2);
if (task !== "counter" && task !== "two-stage") throw new Error(`TASK must be "counter" or "two-stage", got "${task}"`);
const print = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const nc = await connect({ servers: url! });
const group = await createOrJoinGroup(nc, { group: groupName! });
const setup = {
  js: jetstream(nc),
  state: await new Kvm(nc).open(bucket!),
  stream: stream!,
  prefix: prefix!,
  group: group.name,
  partitions: group.partitions,
};
const factory: (p: number) => PartitionTask =
  task === "counter" ? (p) => new PartitionedCounter(setup, p) : (p) => new TwoStageTask(setup, p);
const member = await GroupMember.join(group, { name: name!, leaseSeconds: Number(lease) });
member.events$.subscribe(print);
const tasks = PartitionTasks.run(member, factory, { commitIntervalMs: Number(commitMs) });
tasks.events$.subscribe(print);
// Queries of the tasks that answer them (the two-stage task does), on jf.q.<group>.<p>.
servePartitionQueries(tasks);
print({ type: "joined", member: member.id });
