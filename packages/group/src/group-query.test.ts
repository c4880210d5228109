import { ErrorCode, JetflowError, type SqlType } from "@jetflow/core";
import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GroupError } from "./errors.js";
import { createOrJoinGroup } from "./group.js";
import { GroupMember } from "./group-member.js";
import { queryGroup } from "./group-query.js";
import { partitionOf } from "./partition.js";
import type { PartitionQuery, QueryRows } from "./partition-query.js";
import { servePartitionQueries } from "./partition-query-service.js";
import { type PartitionTask, PartitionTasks } from "./partition-tasks.js";
import { queryRows } from "./testing/query-rows.js";

// Groups need 2.11 (leases with per-message TTL).
const groups = versionAtLeast(harnessServerVersion(), 2, 11);
const LEASE = 3; // a hand-over hook may run this long: the hand-over test checks silence inside it
const WAIT = { timeout: 15_000, interval: 100 };
const KEYS = Array.from({ length: 20 }, (_, i) => `k${i}`);
const BY_KEY = { columns: ["key"], types: [{ kind: "varchar" }] as SqlType[] };
let attempt = 0;
const fresh = (name: string) => `${name}_${++attempt}_${Date.now()}`;

/** A task holding one row `[key, partition]` per key of its partition; counts the queries it answers. */
class RowsTask implements PartitionTask {
  answered = 0;
  private gate: Promise<void> | undefined;
  private open: () => void = () => {};
  constructor(
    readonly partition: number,
    private readonly partitions: number,
  ) {}
  /** Holds every checkpoint (so a hand-over's) until {@link release}. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
  }
  async start(): Promise<void> {}
  async checkpoint(): Promise<unknown> {
    await this.gate;
    return { partition: this.partition };
  }
  async stop(): Promise<void> {}
  query(request: PartitionQuery): QueryRows {
    this.answered++;
    const mine = KEYS.filter((k) => partitionOf([k], this.partitions) === this.partition);
    return queryRows(
      { keys: { columns: ["key", "partition"], rows: () => mine.map((key) => ({ key, partition: this.partition })) } },
      request,
    );
  }
}

const sorted = (r: QueryRows) => [...r.rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
const allRows = (partitions: number) =>
  KEYS.map((k) => [k, partitionOf([k], partitions)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe.runIf(groups)("queries routed to partition owners (nats-server 2.11+)", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  const connections: NatsConnection[] = [];
  const running: PartitionTasks[] = [];
  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    for (const t of running) await t.leave().catch(() => {});
    for (const c of connections) await c.close();
    await nc?.close();
    await server?.dispose();
  });

  /** A member of `group` in this process (its own connection) running RowsTasks and serving their queries. */
  async function memberOf(group: string, partitions: number, commitIntervalMs = 60_000) {
    const own = await connect({ servers: server.url });
    connections.push(own);
    const member = await GroupMember.join(await createOrJoinGroup(own, { group, partitions }), { leaseSeconds: LEASE });
    const made = new Map<number, RowsTask>();
    const tasks = PartitionTasks.run(
      member,
      (p) => {
        const t = new RowsTask(p, partitions);
        made.set(p, t);
        return t;
      },
      { commitIntervalMs },
    );
    running.push(tasks);
    const service = servePartitionQueries(tasks);
    return { member, tasks, service, made };
  }

  it("a scan gathers every partition once; a lookup covering the key asks only its partition; a leave stops serving", async () => {
    const g = fresh("scan");
    const a = await memberOf(g, 4);
    await vi.waitFor(() => expect(a.service.serving()).toEqual([0, 1, 2, 3]), WAIT);

    const scan = await queryGroup(nc, g, { relation: "keys" }); // the partition count read from the group
    expect(scan.columns).toEqual(["key", "partition"]);
    expect(sorted(scan)).toEqual(allRows(4));
    for (const t of a.made.values()) expect(t.answered).toBe(1);

    const p7 = partitionOf(["k7"], 4);
    const one = await queryGroup(nc, g, { relation: "keys", equal: { key: "k7" } }, { relationKey: BY_KEY });
    expect(one.rows).toEqual([["k7", p7]]);
    for (const [p, t] of a.made) expect(t.answered, `partition ${p}`).toBe(p === p7 ? 2 : 1);
    // Not covering the key (or no key given): every partition, filtered by each.
    const filtered = await queryGroup(nc, g, { relation: "keys", equal: { partition: p7 } }, { partitions: 4 });
    expect(sorted(filtered)).toEqual(allRows(4).filter((r) => r[1] === p7));

    await a.tasks.leave();
    expect(a.service.serving()).toEqual([]);
    await expect(
      queryGroup(nc, g, { relation: "keys" }, { partitions: 4, timeoutMs: 50, attempts: 1 }),
    ).rejects.toThrow("partitions 0, 1, 2, 3 did not answer");
  });

  it("an unknown relation or column is refused at once, with the task's error as the cause", async () => {
    const g = fresh("unknown");
    const a = await memberOf(g, 2);
    await vi.waitFor(() => expect(a.service.serving()).toEqual([0, 1]), WAIT);
    const started = Date.now();
    const e = await queryGroup(nc, g, { relation: "nope" }, { partitions: 2 }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GroupError);
    expect((e as GroupError).message).toMatch(
      /partition \d refused the query of "nope": no relation "nope" here \(there are: keys\)/,
    );
    expect(((e as GroupError).cause as JetflowError).code).toBe(ErrorCode.UnknownRelation);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(queryGroup(nc, g, { relation: "keys", equal: { colour: "red" } }, { partitions: 2 })).rejects.toThrow(
      'relation "keys" has no column "colour" (it has key, partition)',
    );
  });

  it("a partition being handed over answers nothing until its next owner runs it", async () => {
    const g = fresh("handover");
    const a = await memberOf(g, 4);
    await vi.waitFor(() => expect(a.service.serving()).toEqual([0, 1, 2, 3]), WAIT);
    for (const t of a.made.values()) t.hold();
    const b = await memberOf(g, 4);
    // Two partitions move to b; a's hand-over of them waits on their held last checkpoint.
    let moving: number[] = [];
    await vi.waitFor(() => {
      moving = [0, 1, 2, 3].filter((p) => a.tasks.running().includes(p) && a.tasks.answering(p) === undefined);
      expect(moving).toHaveLength(2);
    }, WAIT);
    const quick = { partitions: 4, timeoutMs: 100, attempts: 2 };
    await expect(queryGroup(nc, g, { relation: "keys" }, quick)).rejects.toThrow(
      `partitions ${moving.join(", ")} did not answer the query of "keys" (2 tries of 100 ms)`,
    );
    // A lookup of a key of a moving partition waits across the move (the default tries span it).
    const key = KEYS.find((k) => partitionOf([k], 4) === moving[0]) as string;
    const lookup = queryGroup(nc, g, { relation: "keys", equal: { key } }, { relationKey: BY_KEY, partitions: 4 });
    for (const t of a.made.values()) t.release();
    expect((await lookup).rows).toEqual([[key, moving[0]]]);
    expect(sorted(await queryGroup(nc, g, { relation: "keys" }))).toEqual(allRows(4));
    await vi.waitFor(() => expect(b.service.serving()).toEqual(moving), WAIT);
  });

  it("a partition nobody serves fails the call after its tries, naming it", async () => {
    const g = fresh("nobody");
    await createOrJoinGroup(nc, { group: g, partitions: 3 });
    const started = Date.now();
    const e = await queryGroup(nc, g, { relation: "keys" }, { timeoutMs: 150, attempts: 2 }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(GroupError);
    expect(e).toBeInstanceOf(JetflowError);
    expect((e as GroupError).code).toBe(ErrorCode.GroupFailed);
    expect((e as GroupError).message).toBe(
      `group "${g}": partitions 0, 1, 2 did not answer the query of "keys" (2 tries of 150 ms); their owner may be gone, or run no task that answers queries`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
