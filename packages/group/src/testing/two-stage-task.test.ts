import type { SqlType } from "@jetflow/core";
import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type PubAck,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ensureExchangeStream, exchangeStreamName, exchangeSubject } from "../exchange-stream.js";
import { createOrJoinGroup } from "../group.js";
import { groupStatus } from "../group-status.js";
import { queryGroup } from "../group-query.js";
import { partitionOf } from "../partition.js";
import { type MemberProcess, startTasksProcess } from "./member-process.js";
import { ORDERS_TABLE, REGION_VIEW, REGION_VIEW_COLUMNS, type RegionRow, regionRowsOf } from "./orders-by-region.js";
import { partitionedStream } from "./partitioned-stream.js";
import { readTwoStageState, type TwoStagePointer, type TwoStageSetup, TwoStageTask } from "./two-stage-task.js";

// Groups need 2.11 (leases with per-message TTL); the partitioned stream needs 2.10's subject transforms.
const groups = versionAtLeast(harnessServerVersion(), 2, 11);
const LEASE = 2;
const PARTITIONS = 8;
const EDGE = "orders-by-region";
const REGIONS = ["eu", "us", "apac", "latam", "mea", "anz", "nordics"];
const WAIT = { timeout: 25_000, interval: 200 };

/**
 * Order events published to the partitioned stream: a deterministic sequence in which ids are
 * overwritten many times (their region and amount change), with the last write per id and the
 * last stream sequence per partition.
 */
class OrderLog {
  private s: number;
  readonly last = new Map<number, { region: string; amount: number }>();
  readonly lastSeq = new Map<number, number>();
  constructor(
    private readonly js: JetStreamClient,
    private readonly prefix: string,
    private readonly partitions: number,
    seed: number,
  ) {
    this.s = seed >>> 0;
  }

  /** Publishes `n` events over ids 1..300, 250 at a time, each acknowledged. */
  async publish(n: number): Promise<void> {
    for (let sent = 0; sent < n; sent += 250) {
      const batch = Array.from({ length: Math.min(250, n - sent) }, () => ({
        id: 1 + this.next(300),
        region: REGIONS[this.next(REGIONS.length)] as string,
        amount: 1 + this.next(1000),
      }));
      const acks = await Promise.all(batch.map((o) => this.js.publish(`${this.prefix}.${o.id}`, JSON.stringify(o))));
      batch.forEach((o, i) => {
        this.last.set(o.id, { region: o.region, amount: o.amount });
        const p = partitionOf([String(o.id)], this.partitions);
        this.lastSeq.set(p, Math.max(this.lastSeq.get(p) ?? 0, (acks[i] as PubAck).seq));
      });
    }
  }

  /** The query over the last write per id: count and sum of amount per region, sorted by region. */
  expected(): RegionRow[] {
    const totals = new Map<string, { orders: number; amount: number }>();
    for (const { region, amount } of this.last.values()) {
      const t = totals.get(region) ?? { orders: 0, amount: 0 };
      totals.set(region, { orders: t.orders + 1, amount: t.amount + amount });
    }
    return [...totals].map(([region, t]) => ({ region, ...t })).sort((a, b) => a.region.localeCompare(b.region));
  }

  private next(n: number): number {
    this.s = (Math.imul(this.s, 1_664_525) + 1_013_904_223) >>> 0;
    return this.s % n;
  }
}

/** The last sequence of each partition's exchange subject (0 when it has none). */
async function exchangeLastSeqs(jsm: JetStreamManager, group: string, partitions: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = 0; p < partitions; p++) {
    const m = await jsm.streams
      .getMessage(exchangeStreamName(group), { last_by_subj: exchangeSubject(group, EDGE, p) })
      .catch(() => null);
    out.push(m?.seq ?? 0);
  }
  return out;
}

/**
 * Waits until `pointers()` shows every partition drained: its committed state past its last order
 * holding no unpublished epoch, then (stage 1 being done, the exchange no longer grows) past its
 * exchange subject's last message. Returns those pointers.
 */
async function drained(
  jsm: JetStreamManager,
  group: string,
  log: OrderLog,
  pointers: () => Promise<TwoStagePointer[]>,
  diagnostics: () => string = () => "",
): Promise<TwoStagePointer[]> {
  await vi.waitFor(async () => {
    (await pointers()).forEach((ptr, p) => {
      expect(ptr.ordersSeq, `orders of partition ${p}\n${diagnostics()}`).toBe(log.lastSeq.get(p) ?? 0);
      expect(ptr.pending, `unpublished epochs of partition ${p}`).toBe(0);
    });
  }, WAIT);
  const partitions = (await pointers()).length;
  const exchangeLast = await exchangeLastSeqs(jsm, group, partitions);
  return vi.waitFor(async () => {
    const ps = await pointers();
    ps.forEach((ptr, p) => {
      expect(ptr.exchangeSeq, `exchange of partition ${p}\n${diagnostics()}`).toBe(exchangeLast[p]);
    });
    return ps;
  }, WAIT);
}

/** The union of the views the pointers' states hold, sorted by region. */
async function viewsOf(state: KV, pointers: readonly TwoStagePointer[]): Promise<RegionRow[]> {
  const rows: RegionRow[] = [];
  for (const ptr of pointers) rows.push(...regionRowsOf((await readTwoStageState(state, ptr)).chunks));
  return rows.sort((a, b) => a.region.localeCompare(b.region));
}

/**
 * Checks what `queryGroup` gives, from this process: the view by region (a scan, and a lookup of
 * each region asking only its owner) and the table by id (a lookup and a scan), against the
 * query over the last write per id. `attempts` (of 1 s) covers a partition moving meanwhile.
 */
async function expectQueries(nc: NatsConnection, group: string, log: OrderLog, attempts = 5): Promise<void> {
  const options = { partitions: PARTITIONS, attempts };
  const byRegion = { ...options, relationKey: { columns: ["region"], types: [{ kind: "varchar" }] as SqlType[] } };
  const expected = log.expected().map((r) => [r.region, r.orders, r.amount]);
  const scan = await queryGroup(nc, group, { relation: REGION_VIEW }, byRegion);
  expect(scan.columns).toEqual(REGION_VIEW_COLUMNS);
  expect([...scan.rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual(expected);
  const lookups = await Promise.all(
    expected.map((row) => queryGroup(nc, group, { relation: REGION_VIEW, equal: { region: row[0] } }, byRegion)),
  );
  expect(lookups.map((r) => r.rows)).toEqual(expected.map((row) => [row]));

  const byId = { ...options, relationKey: { columns: ["id"], types: [{ kind: "integer" }] as SqlType[] } };
  const ids = [...log.last].sort(([a], [b]) => a - b);
  const [id, last] = ids[0] as [number, { region: string; amount: number }];
  const one = await queryGroup(nc, group, { relation: ORDERS_TABLE, equal: { id } }, byId);
  expect(one.rows).toEqual([[id, last.region, last.amount]]);
  const table = await queryGroup(nc, group, { relation: ORDERS_TABLE }, byId);
  expect([...table.rows].sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(
    ids.map(([i, r]) => [i, r.region, r.amount]),
  );
}

/** The partitions whose task runs in child `c` now. */
function runningIn(c: MemberProcess): number[] {
  const running = new Set<number>();
  for (const l of c.lines) {
    if (l.type === "task_started") running.add(l["partition"] as number);
    if (l.type === "task_stopped") running.delete(l["partition"] as number);
  }
  return [...running];
}

describe.runIf(groups)("two-stage dataflow over the exchange (nats-server 2.11+)", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  const children: MemberProcess[] = [];
  const tasks: TwoStageTask[] = [];
  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    for (const c of children) await c.kill();
    for (const t of tasks) await t.stop();
    await nc?.close();
    await server?.dispose();
  });

  /** A fresh group's exchange stream, a partitioned orders stream and a state bucket. */
  async function dataflow(name: string, partitions: number, seed: number) {
    const g = `${name}_${Date.now()}`;
    const prefix = `orders_${g}`;
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await ensureExchangeStream(jsm, g);
    const stream = await partitionedStream(nc, prefix, partitions);
    const stateBucket = `state_${g}`;
    const state = await new Kvm(nc).create(stateBucket);
    const log = new OrderLog(js, prefix, partitions, seed);
    return { g, prefix, js, jsm, stream, stateBucket, state, log };
  }

  it("a new owner publishes the epochs its committed state holds; an epoch of a checkpoint that never committed is sealed again, not lost", async () => {
    const { g, prefix, js, jsm, stream, state, log } = await dataflow("owners", 2, 7);
    const setup: TwoStageSetup = { js, state, stream, prefix, group: g, partitions: 2 };
    const task = async (p: number, from?: TwoStagePointer) => {
      const t = new TwoStageTask(setup, p);
      tasks.push(t);
      await t.start(from);
      return t;
    };
    // What PartitionTasks does every commit interval (the fenced write left out: nothing contends here).
    const commit = async (t: TwoStageTask) => {
      const pointer = await t.checkpoint();
      await t.committed();
      return pointer;
    };
    const upTo = (t: TwoStageTask) =>
      vi.waitFor(() => expect(t.ordersRead).toBe(log.lastSeq.get(t.partition) ?? 0), WAIT);

    let [t0, t1] = [await task(0), await task(1)];
    await log.publish(600);
    await drained(jsm, g, log, () => Promise.all([commit(t0), commit(t1)]));

    await log.publish(400);
    // Partition 0: its checkpoint commits, then its process dies before publishing the epoch sealed in it.
    await upTo(t0);
    const committedUnpublished = await t0.checkpoint();
    expect(committedUnpublished.pending).toBe(1);
    await t0.stop();
    // Partition 1: a checkpoint commits and is published; the next one is written but never
    // committed (the process dies first), so its epoch must never be published.
    const lastCommitted = await commit(t1);
    await log.publish(400);
    await upTo(t1);
    expect((await t1.checkpoint()).pending).toBe(1);
    await t1.stop();

    await log.publish(400);
    [t0, t1] = [await task(0, committedUnpublished), await task(1, lastCommitted)];
    const pointers = await drained(jsm, g, log, () => Promise.all([commit(t0), commit(t1)]));
    expect(await viewsOf(state, pointers)).toEqual(log.expected());
  });

  it("with a member killed mid-run and another started, the union of the partitions' views equals the query over the last write per id, exactly, and so do queries routed to the owners, before and after another kill", async () => {
    const { g, jsm, stream, prefix, stateBucket, state, log } = await dataflow("stages", PARTITIONS, 18);
    const group = await createOrJoinGroup(nc, { group: g, partitions: PARTITIONS });
    const source = { stream, prefix, stateBucket, commitIntervalMs: 300, task: "two-stage" as const };
    const start = (name: string) => {
      const c = startTasksProcess(server.url, g, LEASE, name, source);
      children.push(c);
      return c;
    };
    const diagnostics = () =>
      children
        .flatMap((c) => [c.stderr(), ...c.lines.filter((l) => l.type === "error").map((l) => JSON.stringify(l))])
        .join("\n");
    const members = [start("a"), start("b"), start("c")];
    await vi.waitFor(async () => {
      const s = await groupStatus(nc, g);
      expect(s.members, diagnostics()).toHaveLength(3);
      expect(s.unowned).toEqual([]);
      expect(members.flatMap(runningIn)).toHaveLength(PARTITIONS);
    }, WAIT);

    await log.publish(2000);
    const victim = members[0] as MemberProcess;
    // The victim committed state with epochs to hand on: kill it while it works.
    await vi.waitFor(() => expect(victim.lines.some((l) => l.type === "committed")).toBe(true), WAIT);
    const publishing = log.publish(2000);
    const victimPartitions = runningIn(victim);
    const seenBefore = new Map(members.map((c) => [c, c.lines.length]));
    await victim.kill();
    await publishing;
    const joiner = start("d");
    await log.publish(2000);

    const committedPointers = async () => {
      const out: TwoStagePointer[] = [];
      for (let p = 0; p < PARTITIONS; p++) {
        const data = (await group.kv.get(`partitions.${p}`))?.json<{ data?: TwoStagePointer }>().data;
        if (data === undefined) throw new Error(`partition ${p} committed nothing yet`);
        out.push(data);
      }
      return out;
    };
    const pointers = await drained(jsm, g, log, committedPointers, diagnostics);
    expect(await viewsOf(state, pointers)).toEqual(log.expected());
    // Each of the killed member's partitions went on elsewhere from the state it had committed.
    const resumed = [...members.slice(1), joiner].flatMap((c) =>
      c.lines
        .slice(seenBefore.get(c) ?? 0)
        .filter((l) => l.type === "task_started" && l["from"] !== undefined)
        .map((l) => l["partition"] as number),
    );
    for (const p of victimPartitions) expect(resumed, `partition ${p} of the killed member`).toContain(p);
    // The member that joined takes partitions over (handed over by a rebalance, or the killed
    // member's): on a loaded machine the others may have drained everything before it is in.
    await vi.waitFor(() => expect(runningIn(joiner).length, diagnostics()).toBeGreaterThan(0), WAIT);

    // Queries from outside the group reach the owners: exact, one answer per partition.
    await expectQueries(nc, g, log);
    // Kill another member: its partitions move, and the same queries wait across the move
    // (the new owners start from the drained committed state, so the answers stay exact).
    const second = members[1] as MemberProcess;
    const secondPartitions = runningIn(second);
    const survivors = [members[2] as MemberProcess, joiner];
    const linesBefore = new Map(survivors.map((c) => [c, c.lines.length]));
    await second.kill();
    await expectQueries(nc, g, log, 8);
    const moved = survivors.flatMap((c) =>
      c.lines
        .slice(linesBefore.get(c) ?? 0)
        .filter((l) => l.type === "task_started")
        .map((l) => l["partition"] as number),
    );
    for (const p of secondPartitions) expect(moved, `partition ${p} of the second killed member`).toContain(p);
  }, 60_000);
});
