// Test-only child process: one group member in its own process, so a test can SIGKILL, SIGSTOP and
// SIGCONT it. Run from the build: node dist/testing/member-child.js URL GROUP LEASE_SECONDS NAME
// Prints every GroupEvent as one JSON line. On the stdin line "write" it writes to every partition
// acquired before it first lost its lease, with the revision it got then (as a process that slept
// through a takeover would), printing {"type":"write","partition":P,"ok":BOOL} per partition, then {"type":"writes_done"}.
import { createInterface } from "node:readline";
import { connect } from "@nats-io/transport-node";
import { createOrJoinGroup } from "../group.js";
import { GroupMember } from "../group-member.js";

const [url, group, lease, name] = process.argv.slice(2);
const print = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const nc = await connect({ servers: url! });
const member = await GroupMember.join(await createOrJoinGroup(nc, { group: group! }), {
  name: name!,
  leaseSeconds: Number(lease),
});
const tokens = new Map<number, number>();
let slept = false;
member.events$.subscribe((e) => {
  if (e.type === "lease_lost") slept = true;
  if (e.type === "acquired" && !slept) tokens.set(e.partition, e.revision);
  print(e);
});
print({ type: "joined", member: member.id });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "write") continue;
  for (const [partition, revision] of [...tokens].sort((a, b) => a[0] - b[0])) {
    const ok = await member.write(partition, { by: "child" }, revision).then(
      () => true,
      () => false,
    );
    print({ type: "write", partition, ok });
  }
  print({ type: "writes_done" });
}
