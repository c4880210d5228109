// Test-only child process: a group member running PartitionTasks with the reference counter, so a
// test can SIGKILL it mid-run. Run from the build:
//   node dist/testing/tasks-child.js URL GROUP LEASE_SECONDS NAME STREAM PREFIX STATE_BUCKET COMMIT_MS
// Prints every GroupEvent and PartitionTaskEvent as one JSON line; runs until it is killed.
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { createOrJoinGroup } from "../group.js";
import { GroupMember } from "../group-member.js";
import { PartitionTasks } from "../partition-tasks.js";
import { PartitionedCounter } from "./partitioned-counter.js";

const [url, group, lease, name, stream, prefix, bucket, commitMs] = process.argv.slice(2);
const print = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const nc = await connect({ servers: url! });
const setup = { js: jetstream(nc), state: await new Kvm(nc).open(bucket!), stream: stream!, prefix: prefix! };
const member = await GroupMember.join(await createOrJoinGroup(nc, { group: group! }), {
  name: name!,
  leaseSeconds: Number(lease),
});
member.events$.subscribe(print);
const tasks = PartitionTasks.run(member, (p) => new PartitionedCounter(setup, p), {
  commitIntervalMs: Number(commitMs),
});
tasks.events$.subscribe(print);
print({ type: "joined", member: member.id });
