import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createOrJoinGroup, type Group } from "./group.js";
import { GroupMember } from "./group-member.js";
import { groupStatus } from "./group-status.js";
import { partitionOf } from "./partition.js";
import { type PartitionTask, type PartitionTaskEvent, PartitionTasks } from "./partition-tasks.js";
import { type MemberProcess, startTasksProcess } from "./testing/member-process.js";
import { partitionedStream } from "./testing/partitioned-stream.js";
import { type CounterPointer, PartitionedCounter, readCounterState } from "./testing/partitioned-counter.js";

// Groups need 2.11 (leases with per-message TTL); the partitioned stream needs 2.10's subject transforms.
const groups = versionAtLeast(harnessServerVersion(), 2, 11);
const LEASE = 2;
const WAIT = { timeout: 20_000, interval: 100 };
let attempt = 0;
const fresh = (name: string) => `${name}_${++attempt}`;

/** What was published: the count per key and the last stream sequence per partition. */
class Published {
  readonly counts = new Map<string, number>();
  readonly lastSeq = new Map<number, number>();
  constructor(readonly partitions: number) {}

  /** Publishes `n` messages round-robin over `keys` keys, 500 at a time, each acknowledged. */
  async publish(js: JetStreamClient, prefix: string, n: number, keys: number): Promise<void> {
    for (let start = 0; start < n; start += 500) {
      const batch = Array.from({ length: Math.min(500, n - start) }, (_, i) => `k${(start + i) % keys}`);
      const acks = await Promise.all(batch.map((k) => js.publish(`${prefix}.${k}`, "x")));
      batch.forEach((k, i) => {
        this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
        const p = partitionOf([k], this.partitions);
        this.lastSeq.set(p, Math.max(this.lastSeq.get(p) ?? 0, acks[i]!.seq));
      });
    }
  }

  sorted(): [string, number][] {
    return [...this.counts].sort(([a], [b]) => a.localeCompare(b));
  }
}

/** The committed counts of every partition, read back through the pointers in the group bucket. */
async function committed(group: Group, state: KV): Promise<{ counts: [string, number][]; seqs: Map<number, number> }> {
  const counts = new Map<string, number>();
  const seqs = new Map<number, number>();
  for (let p = 0; p < group.partitions; p++) {
    const pointer = (await group.kv.get(`partitions.${p}`))?.json<{ data?: CounterPointer }>().data;
    if (pointer === undefined) continue;
    const s = await readCounterState(state, pointer);
    seqs.set(p, s.seq);
    for (const [k, c] of Object.entries(s.counts)) counts.set(k, (counts.get(k) ?? 0) + c);
  }
  return { counts: [...counts].sort(([a], [b]) => a.localeCompare(b)), seqs };
}

/** Waits until every partition committed a pointer at its last published sequence. */
async function waitForCommittedUpTo(group: Group, state: KV, published: Published, timeout = 30_000) {
  return vi.waitFor(
    async () => {
      const c = await committed(group, state);
      for (const [p, seq] of published.lastSeq) expect(c.seqs.get(p), `partition ${p}`).toBe(seq);
      return c;
    },
    { timeout, interval: 200 },
  );
}

/** The partitions whose task runs in child `c`, each with the index of the line that started it. */
function runningIn(c: MemberProcess): Map<number, number> {
  const running = new Map<number, number>();
  c.lines.forEach((l, i) => {
    if (l.type === "task_started") running.set(l["partition"] as number, i);
    if (l.type === "task_stopped") running.delete(l["partition"] as number);
  });
  return running;
}

/** The pointer the task of partition `p` started from, as its `task_started` event says. */
function startedFrom(events: readonly PartitionTaskEvent[], p: number): CounterPointer | undefined {
  const started = events.find((e) => e.type === "task_started" && e.partition === p);
  return (started as { from?: CounterPointer } | undefined)?.from;
}

/** A task that records what is called, whose checkpoint can be held until the test lets it go. */
class ScriptedTask implements PartitionTask {
  readonly calls: string[] = [];
  /** Whether `start` fails. */
  failStart = false;
  private gate: Promise<void> | undefined;
  private open: () => void = () => {};
  constructor(readonly partition: number) {}
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
  }
  async start(from: unknown): Promise<void> {
    this.calls.push(`start ${JSON.stringify(from)}`);
    if (this.failStart) throw new Error("boom");
  }
  async checkpoint(): Promise<unknown> {
    this.calls.push("checkpoint");
    await this.gate;
    return `pointer of ${this.partition}`;
  }
  async committed(): Promise<void> {
    this.calls.push("committed");
  }
  async stop(): Promise<void> {
    this.calls.push("stop");
  }
}

describe.runIf(groups)("partition tasks (nats-server 2.11+)", () => {
  let server: NatsServer;
  const connections: NatsConnection[] = [];
  const running: PartitionTasks[] = [];
  const children: MemberProcess[] = [];
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(async () => {
    for (const c of children) await c.kill();
    for (const t of running) await t.leave().catch(() => {});
    for (const nc of connections) await nc.close();
    await server.dispose();
  });

  async function connection(): Promise<NatsConnection> {
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    return nc;
  }

  /** A member of `group` in this process running `factory`'s tasks, and the events they report. */
  async function tasksOf(
    group: string,
    partitions: number,
    factory: (p: number) => PartitionTask,
    commitIntervalMs = 200,
    restartDelayMs = 1000,
  ) {
    const nc = await connection();
    const m = await GroupMember.join(await createOrJoinGroup(nc, { group, partitions }), {
      name: "m",
      leaseSeconds: LEASE,
    });
    const tasks = PartitionTasks.run(m, factory, { commitIntervalMs, restartDelayMs });
    running.push(tasks);
    const events: PartitionTaskEvent[] = [];
    tasks.events$.subscribe((e) => events.push(e));
    return { member: m, tasks, events };
  }

  /**
   * A fresh group over a stream the server partitions 4 ways, a state bucket, and a factory of
   * counters on them that remembers the last counter it made per partition.
   */
  async function counters(name: string) {
    const g = fresh(name);
    const nc = await connection();
    const js = jetstream(nc);
    const stream = await partitionedStream(nc, g, 4);
    const state = await new Kvm(nc).create(`state_${g}`);
    const made = new Map<number, PartitionedCounter>();
    const counter = (p: number) => {
      const c = new PartitionedCounter({ js, state, stream, prefix: g }, p);
      made.set(p, c);
      return c;
    };
    return { g, nc, js, state, made, counter };
  }

  it("runs a task per owned partition, commits its pointer, and moves it with its pointer to a member that joins", async () => {
    const { g, js, state, counter } = await counters("move");
    const a = await tasksOf(g, 4, counter);
    const group = a.member.group;
    await vi.waitFor(() => expect(a.tasks.running()).toEqual([0, 1, 2, 3]), WAIT);
    const started = a.events.filter((e) => e.type === "task_started");
    expect(started.sort((x, y) => x.partition - y.partition)).toEqual(
      [0, 1, 2, 3].map((partition) => ({ type: "task_started", partition })),
    );
    const published = new Published(4);
    await published.publish(js, g, 400, 40);
    expect((await waitForCommittedUpTo(group, state, published)).counts).toEqual(published.sorted());
    const pointers = new Map<number, unknown>();
    for (let p = 0; p < 4; p++)
      pointers.set(p, (await group.kv.get(`partitions.${p}`))?.json<{ data: unknown }>().data);

    const b = await tasksOf(g, 4, counter);
    await vi.waitFor(() => {
      expect(b.tasks.running()).toHaveLength(2);
      expect(a.tasks.running()).toHaveLength(2);
    }, WAIT);
    for (const p of b.tasks.running()) {
      expect(a.events).toContainEqual({ type: "task_stopped", partition: p, reason: "rebalance" });
      // handed over with a last checkpoint: at the place the last commit reached
      expect(startedFrom(b.events, p)?.seq).toBe((pointers.get(p) as CounterPointer).seq);
    }
    await published.publish(js, g, 400, 40);
    expect((await waitForCommittedUpTo(group, state, published)).counts).toEqual(published.sorted());
  });

  it("tries a task that failed to start again, as a new task, while it owns the partition", async () => {
    const made: ScriptedTask[] = [];
    const a = await tasksOf(
      fresh("restart"),
      1,
      (p) => {
        const t = new ScriptedTask(p);
        t.failStart = made.length < 2;
        made.push(t);
        return t;
      },
      200,
      50,
    );
    await vi.waitFor(() => expect(a.tasks.running()).toEqual([0]), WAIT);
    const errors = a.events.filter((e) => e.type === "error");
    expect(errors.map((e) => (e as { message: string }).message)).toEqual([
      "task of partition 0 did not start (trying again in 50 ms): boom",
      "task of partition 0 did not start (trying again in 100 ms): boom",
    ]);
    expect(made).toHaveLength(3);
    expect(a.events.filter((e) => e.type === "task_started")).toEqual([{ type: "task_started", partition: 0 }]);
  });

  it("hands a partition over on a rebalance with its task's last checkpoint, so the next owner redoes nothing", async () => {
    const { g, js, state, made, counter } = await counters("handover");
    // no timed commits: the only pointers are the ones handed over
    const a = await tasksOf(g, 4, counter, 600_000);
    await vi.waitFor(() => expect(a.tasks.running()).toEqual([0, 1, 2, 3]), WAIT);
    const published = new Published(4);
    await published.publish(js, g, 400, 40);
    const aTasks = new Map(made);
    await vi.waitFor(() => {
      for (const [p, seq] of published.lastSeq) expect(aTasks.get(p)?.counted).toBe(seq);
    }, WAIT);
    const b = await tasksOf(g, 4, counter, 600_000);
    await vi.waitFor(() => expect(b.tasks.running()).toHaveLength(2), WAIT);
    for (const p of b.tasks.running()) {
      const from = startedFrom(b.events, p);
      expect(from, `partition ${p} started from a handed-over pointer`).toBeDefined();
      expect(from?.seq).toBe(published.lastSeq.get(p));
      const s = await readCounterState(state, from as CounterPointer);
      const expected = published.sorted().filter(([k]) => partitionOf([k], 4) === p);
      expect(Object.entries(s.counts).sort(([x], [y]) => x.localeCompare(y))).toEqual(expected);
    }
  });

  it("commits every task's state on a clean leave, then stops the tasks and hands the partitions over", async () => {
    const { g, nc, js, state, made, counter } = await counters("leave");
    // No timed commits: whatever is committed, the leave committed.
    const a = await tasksOf(g, 4, counter, 3_600_000);
    const group = a.member.group;
    await vi.waitFor(() => expect(a.tasks.running()).toEqual([0, 1, 2, 3]), WAIT);
    const published = new Published(4);
    await published.publish(js, g, 400, 40);
    // Every task has counted all of its partition when the member leaves.
    await vi.waitFor(() => {
      for (const [p, seq] of published.lastSeq) expect(made.get(p)?.counted).toBe(seq);
    }, WAIT);
    await a.tasks.leave();
    expect((await committed(group, state)).counts).toEqual(published.sorted());
    expect(a.tasks.running()).toEqual([]);
    for (let p = 0; p < 4; p++) {
      const committedAt = a.events.findIndex((e) => e.type === "committed" && e.partition === p);
      const stoppedAt = a.events.findIndex((e) => e.type === "task_stopped" && e.partition === p);
      expect(committedAt).toBeGreaterThanOrEqual(0);
      expect(stoppedAt).toBeGreaterThan(committedAt);
      expect(a.events[stoppedAt]).toEqual({ type: "task_stopped", partition: p, reason: "left" });
    }
    const s = await groupStatus(nc, g);
    expect(s.members).toEqual([]);
    expect(s.unowned).toEqual([0, 1, 2, 3]);
  });

  it("tells a task its pointer committed right after the fenced write, before its next checkpoint", async () => {
    const made: ScriptedTask[] = [];
    const { tasks, events } = await tasksOf(
      fresh("committed"),
      1,
      (p) => {
        const t = new ScriptedTask(p);
        made.push(t);
        return t;
      },
      3_600_000,
    );
    await vi.waitFor(() => expect(tasks.running()).toEqual([0]), WAIT);
    await tasks.commitAll();
    await tasks.commitAll();
    expect(made[0]?.calls).toEqual(["start undefined", "checkpoint", "committed", "checkpoint", "committed"]);
    expect(events.filter((e) => e.type === "committed")).toHaveLength(2);
  });

  it("refuses the pointer of a task whose partition was taken over during its checkpoint, and stops it", async () => {
    const g = fresh("fenced");
    const made: ScriptedTask[] = [];
    // No timed commits: the test commits when it wants to.
    const factory = (p: number) => {
      const t = new ScriptedTask(p);
      made.push(t);
      return t;
    };
    const { member, tasks, events } = await tasksOf(g, 4, factory, 3_600_000);
    await vi.waitFor(() => expect(tasks.running()).toEqual([0, 1, 2, 3]), WAIT);
    const victim = made.find((t) => t.partition === 2)!;
    victim.hold();
    const commit = tasks.commitAll();
    await vi.waitFor(() => expect(victim.calls).toContain("checkpoint"), WAIT);
    // Someone else takes partition 2 over while its checkpoint is being written.
    const kv = member.group.kv;
    const entry = (await kv.get("partitions.2"))!;
    await kv.update("partitions.2", JSON.stringify({ owner: g, data: "intruder" }), entry.revision);
    victim.release();
    await commit;
    await vi.waitFor(() => {
      expect(events).toContainEqual({ type: "commit_refused", partition: 2 });
      expect(events).toContainEqual({ type: "task_stopped", partition: 2, reason: "fenced" });
    }, WAIT);
    // never told a refused pointer committed
    expect(victim.calls).toEqual(["start undefined", "checkpoint", "stop"]);
    // The intruder holds no lease, so the member claims partition 2 again: a new task starts from
    // what the intruder wrote; the refused pointer was never written.
    await vi.waitFor(
      () => expect(events).toContainEqual({ type: "task_started", partition: 2, from: "intruder" }),
      WAIT,
    );
    const refused = events.findIndex((e) => e.type === "commit_refused");
    expect(events.slice(refused).some((e) => e.type === "committed" && e.partition === 2)).toBe(false);
    expect((await kv.get("partitions.2"))!.json<{ data: unknown }>().data).toBe("intruder");
  });

  /** A partitioned stream, a state bucket and a group, and a way to start tasks children on them. */
  async function counterGroup(g: string, partitions: number) {
    const nc = await connection();
    const stream = await partitionedStream(nc, g, partitions);
    const bucket = `state_${g}`;
    const state = await new Kvm(nc).create(bucket);
    const group = await createOrJoinGroup(nc, { group: g, partitions });
    const source = { stream, prefix: g, stateBucket: bucket, commitIntervalMs: 300 };
    const start = (name: string) => {
      const c = startTasksProcess(server.url, g, LEASE, name, source);
      children.push(c);
      return c;
    };
    return { nc, js: jetstream(nc), group, state, start };
  }

  async function waitForMembers(nc: NatsConnection, g: string, members: MemberProcess[]) {
    await vi.waitFor(async () => {
      const s = await groupStatus(nc, g);
      expect(s.members.map((m) => m.id).sort(), members.map((c) => c.stderr()).join("")).toEqual(
        members.map((c) => c.memberId()).sort(),
      );
      expect(s.unowned).toEqual([]);
    }, WAIT);
  }

  /** Waits until child `c` committed each partition whose task runs in it; returns those partitions. */
  function committedAll(c: MemberProcess): Promise<number[]> {
    return vi.waitFor(() => {
      const mine = runningIn(c);
      expect(mine.size).toBeGreaterThan(0);
      for (const [p, at] of mine) {
        expect(c.lines.slice(at).some((l) => l.type === "committed" && l["partition"] === p)).toBe(true);
      }
      return [...mine.keys()];
    }, WAIT);
  }

  it("after a member is killed and another joins, the committed counts equal what was published, exactly", async () => {
    const g = fresh("crash");
    const N = 12;
    const { nc, js, group, state, start } = await counterGroup(g, N);
    const [a, b, victim] = [start("a"), start("b"), start("victim")];
    await waitForMembers(nc, g, [a, b, victim]);
    const published = new Published(N);
    await published.publish(js, g, 10_000, 200);
    // The victim has counted and committed each of its partitions before it dies.
    const victims = await committedAll(victim);
    await victim.kill();
    await published.publish(js, g, 10_000, 200);
    const late = start("late");
    await vi.waitFor(() => expect(late.memberId()).toBeDefined(), WAIT);

    const result = await waitForCommittedUpTo(group, state, published);
    expect(result.counts).toEqual(published.sorted());
    expect(result.counts.reduce((sum, [, c]) => sum + c, 0)).toBe(20_000);
    const live = [a, b, late].map((c) => c.memberId());
    await vi.waitFor(async () => {
      const s = await groupStatus(nc, g);
      expect(s.unowned).toEqual([]);
      expect(s.members.map((m) => m.id).sort()).toEqual([...live].sort());
      for (const m of s.members) expect(m.partitions.length).toBe(N / 3);
    }, WAIT);
    // The victim's partitions went on from the pointers it had committed, in the survivors or the late member.
    for (const p of victims) {
      const resumed = [a, b, late].some((c) =>
        c.lines.some((l) => l.type === "task_started" && l["partition"] === p && l["from"] !== undefined),
      );
      expect(resumed, `partition ${p}`).toBe(true);
    }
    for (const c of [a, b, late]) {
      expect(
        c.lines.filter((l) => l.type === "error"),
        c.stderr(),
      ).toEqual([]);
    }
  });

  it("a member paused past its lease commits nothing of its old partitions once it wakes; the counts stay exact", async () => {
    const g = fresh("pause");
    const N = 8;
    const { nc, js, group, state, start } = await counterGroup(g, N);
    const [a, sleeper] = [start("a"), start("sleeper")];
    await waitForMembers(nc, g, [a, sleeper]);
    const published = new Published(N);
    await published.publish(js, g, 4000, 100);
    const slept = await committedAll(sleeper);
    const firstId = sleeper.memberId();
    sleeper.signal("SIGSTOP");
    /** The revision at which `a` took each partition over from the sleeper. */
    const takeover = new Map<number, number>();
    try {
      await published.publish(js, g, 4000, 100);
      await vi.waitFor(async () => {
        const s = await groupStatus(nc, g);
        expect(s.members.map((m) => m.id)).toEqual([a.memberId()]);
        expect(s.unowned).toEqual([]);
      }, WAIT);
      for (const p of slept) takeover.set(p, (await group.kv.get(`partitions.${p}`))!.revision);
    } finally {
      sleeper.signal("SIGCONT");
    }
    // It learns it lost its lease, rejoins under a new id and gets a share back.
    await vi.waitFor(() => expect(sleeper.memberId()).not.toBe(firstId), WAIT);
    await waitForMembers(nc, g, [a, sleeper]);
    const result = await waitForCommittedUpTo(group, state, published);
    expect(result.counts).toEqual(published.sorted());
    // Its old tasks were stopped, and every commit it made past the takeover is a new task's: one
    // started after it acquired the partition again. (The test may read lines printed before the
    // pause after it, so it orders by the child's lines and the revisions, not by time.)
    const lines = sleeper.lines;
    const at = (p: number, type: string, test: (rev: number) => boolean) =>
      lines.flatMap((l, i) => (l.type === type && l["partition"] === p && test(l["revision"] as number) ? [i] : []));
    for (const p of slept) {
      const old = takeover.get(p)!;
      const lastOldCommit = Math.max(...at(p, "committed", (rev) => rev < old));
      expect(
        at(p, "task_stopped", () => true).some((i) => i > lastOldCommit),
        `partition ${p}`,
      ).toBe(true);
      const reacquired = Math.min(...at(p, "acquired", (rev) => rev > old));
      for (const i of at(p, "committed", (rev) => rev > old)) expect(i, `partition ${p}`).toBeGreaterThan(reacquired);
    }
  });
});
