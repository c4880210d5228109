import { ErrorCode } from "@jetflow/core";
import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GroupError } from "./errors.js";
import { createOrJoinGroup } from "./group.js";
import { type GroupEvent, GroupMember } from "./group-member.js";
import { groupStatus } from "./group-status.js";
import { type MemberProcess, startMemberProcess } from "./testing/member-process.js";

const groups = versionAtLeast(harnessServerVersion(), 2, 11);
const LEASE = 2;
const WAIT = { timeout: 30_000, interval: 100 };
let attempt = 0;
/** A group name of its own for each run of a test, so a retried test does not meet the members of its first run. */
const fresh = (name: string) => `${name}_${++attempt}`;

/** Partitions by member id as the group's bucket says, checked disjoint and complete. */
async function spread(nc: NatsConnection, group: string): Promise<Map<string, readonly number[]>> {
  const s = await groupStatus(nc, group);
  expect(s.unowned).toEqual([]);
  return new Map(s.members.map((m) => [m.id, m.partitions]));
}

/** Waits until `members` (ids) and only they own all 16 partitions, evenly (5 or 6 each of 3). */
async function waitForEvenSpread(nc: NatsConnection, group: string, members: () => (string | undefined)[]) {
  return vi.waitFor(async () => {
    const ids = members();
    const by = await spread(nc, group);
    expect([...by.keys()].sort()).toEqual([...ids].sort());
    const even = [Math.floor(16 / ids.length), Math.ceil(16 / ids.length)];
    for (const parts of by.values()) expect(even).toContain(parts.length);
    return by;
  }, WAIT);
}

describe.runIf(groups)("a group of members", () => {
  let server: NatsServer;
  const connections: NatsConnection[] = [];
  const members: GroupMember[] = [];
  const children: MemberProcess[] = [];
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(async () => {
    for (const c of children) await c.kill();
    for (const m of members) await m.leave().catch(() => {});
    for (const nc of connections) await nc.close();
    await server.dispose();
  });

  async function member(group: string, name: string): Promise<GroupMember> {
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    const m = await GroupMember.join(await createOrJoinGroup(nc, { group, partitions: 16 }), {
      name,
      leaseSeconds: LEASE,
    });
    members.push(m);
    return m;
  }

  async function child(group: string, name: string): Promise<MemberProcess> {
    // The group exists before the child joins, so it joins with the stored partition count.
    const c = startMemberProcess(server.url, group, LEASE, name);
    children.push(c);
    await vi.waitFor(() => expect(c.memberId(), c.stderr()).toBeDefined(), WAIT);
    return c;
  }

  async function admin(): Promise<NatsConnection> {
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    return nc;
  }

  it("spreads 16 partitions evenly and disjointly over 3 members, each knowing its own", async () => {
    const g = fresh("spread");
    const a = await member(g, "a");
    const b = await member(g, "b");
    const c = await member(g, "c");
    const nc = await admin();
    const by = await waitForEvenSpread(nc, g, () => [a.id, b.id, c.id]);
    await vi.waitFor(() => {
      for (const m of [a, b, c]) expect([...m.owned().keys()].sort((x, y) => x - y)).toEqual(by.get(m.id));
    }, WAIT);
  });

  it("reports what it owns as events, from the first acquired partition on", async () => {
    const g = fresh("events");
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    const group = await createOrJoinGroup(nc, { group: g, partitions: 4 });
    const m = await GroupMember.join(group, { name: "solo", leaseSeconds: LEASE });
    const events: GroupEvent[] = [];
    m.events$.subscribe((e) => events.push(e));
    let completed = false;
    m.events$.subscribe({ complete: () => (completed = true) });
    // Subscribed right after join: the initial replay has not been applied yet, so nothing is missed.
    await vi.waitFor(
      () =>
        expect(events.filter((e) => e.type === "owned").at(-1)).toEqual({ type: "owned", partitions: [0, 1, 2, 3] }),
      WAIT,
    );
    const acquired = events.filter((e) => e.type === "acquired");
    expect(acquired.map((e) => e.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const e of acquired) expect(m.owned().get(e.partition)).toBe(e.revision);
    await m.leave();
    expect(events.filter((e) => e.type === "released").map((e) => [e.partition, e.reason])).toEqual([
      [0, "left"],
      [1, "left"],
      [2, "left"],
      [3, "left"],
    ]);
    expect(completed).toBe(true);
  });

  it("hands the partitions of a member that leaves over at once, without waiting for its lease", async () => {
    const g = fresh("leave");
    const nc = await admin();
    const leaseOfLeaver = 3600; // were the hand-over to wait for this lease, the test would time out
    const group = await createOrJoinGroup(nc, { group: g, partitions: 16 });
    const a = await member(g, "a");
    const leaver = await GroupMember.join(group, { name: "leaver", leaseSeconds: leaseOfLeaver });
    await waitForEvenSpread(nc, g, () => [a.id, leaver.id]);
    await leaver.leave();
    await vi.waitFor(async () => expect((await spread(nc, g)).get(a.id)).toHaveLength(16), WAIT);
  });

  it("lets a new member take a share", async () => {
    const g = fresh("grow");
    const a = await member(g, "a");
    const b = await member(g, "b");
    const nc = await admin();
    await vi.waitFor(async () => {
      const by = await spread(nc, g);
      expect([...by.values()].map((p) => p.length)).toEqual([8, 8]);
    }, WAIT);
    const c = await member(g, "c");
    const by = await waitForEvenSpread(nc, g, () => [a.id, b.id, c.id]);
    expect(by.get(c.id)!.length).toBeGreaterThanOrEqual(5);
  });

  it("takes over the partitions of a member killed with SIGKILL within its lease + 10 s", async () => {
    const g = fresh("crash");
    const a = await member(g, "a");
    const b = await member(g, "b");
    const victim = await child(g, "victim");
    const nc = await admin();
    await waitForEvenSpread(nc, g, () => [a.id, b.id, victim.memberId()]);
    await victim.kill();
    await vi.waitFor(
      async () => {
        const by = await spread(nc, g);
        expect([...by.keys()].sort()).toEqual([a.id, b.id].sort());
        expect([...by.values()].map((p) => p.length)).toEqual([8, 8]);
      },
      { timeout: (LEASE + 10) * 1000, interval: 100 },
    );
  });

  it("fences a member paused past its lease (SIGSTOP, SIGCONT): its stale writes fail, then it rejoins", async () => {
    const g = fresh("pause");
    const a = await member(g, "a");
    const b = await member(g, "b");
    const sleeper = await child(g, "sleeper");
    const nc = await admin();
    const firstId = sleeper.memberId()!;
    const before = await waitForEvenSpread(nc, g, () => [a.id, b.id, firstId]);
    // The child printed an `acquired` (its fencing token) for each partition it owns.
    await vi.waitFor(() => {
      const acquired = sleeper.lines.filter((l) => l.type === "acquired").map((l) => l["partition"]);
      expect(new Set(acquired)).toEqual(new Set(before.get(firstId)));
    }, WAIT);
    sleeper.signal("SIGSTOP");
    try {
      await vi.waitFor(async () => {
        const by = await spread(nc, g);
        expect([...by.keys()].sort()).toEqual([a.id, b.id].sort());
      }, WAIT);
    } finally {
      sleeper.signal("SIGCONT");
    }
    sleeper.send("write");
    const results = await vi.waitFor(() => {
      const done = sleeper.lines.findIndex((l) => l.type === "writes_done");
      expect(done).toBeGreaterThan(0);
      return sleeper.lines.slice(0, done).filter((l) => l.type === "write");
    }, WAIT);
    expect(results.map((r) => r["partition"]).sort()).toEqual([...before.get(firstId)!].sort());
    expect(results.every((r) => r["ok"] === false)).toBe(true);
    expect(sleeper.lines.some((l) => l.type === "lease_lost" && l["member"] === firstId)).toBe(true);
    // It rejoins under a new id and gets a share back.
    await waitForEvenSpread(nc, g, () => [a.id, b.id, sleeper.memberId() === firstId ? undefined : sleeper.memberId()]);
  });

  it("writes with the held revision, refuses a stale revision and an unowned partition", async () => {
    const g = fresh("writes");
    const a = await member(g, "a");
    await vi.waitFor(() => expect(a.owned().size).toBe(16), WAIT);
    const rev = await a.write(3, { checkpoint: 1 });
    expect(a.owned().get(3)).toBe(rev);
    await expect(a.write(3, { checkpoint: 0 }, rev - 1)).rejects.toThrow(
      `partition 3 of group "${g}" was taken over: write at revision ${rev - 1} refused`,
    );
    expect(await a.write(3, { checkpoint: 2 })).toBeGreaterThan(rev);
    await expect(a.write(16, {})).rejects.toThrow(`member ${a.id} does not own partition 16`);
  });

  it("drops a partition whose key another writer moved (fenced), and reclaims it from a writer without a lease", async () => {
    const g = fresh("intruder");
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    const group = await createOrJoinGroup(nc, { group: g, partitions: 4 });
    const m = await GroupMember.join(group, { name: "owner", leaseSeconds: LEASE });
    members.push(m);
    const events: GroupEvent[] = [];
    m.events$.subscribe((e) => events.push(e));
    await vi.waitFor(() => expect(m.owned().size).toBe(4), WAIT);
    const token = m.owned().get(2)!;
    // Someone else takes partition 2 over, as a new owner would: a compare-and-set at its revision.
    const moved = await group.kv.update("partitions.2", JSON.stringify({ owner: g }), token);
    await expect(m.write(2, { late: true }, token)).rejects.toThrow(/was taken over/);
    await vi.waitFor(() => {
      expect(events).toContainEqual({ type: "released", partition: 2, reason: "fenced" });
      // g holds no lease, so the partition is free again and goes back to its assignee.
      const again = events.find((e) => e.type === "acquired" && e.partition === 2 && e.revision > moved);
      expect(again).toBeDefined();
    }, WAIT);
    expect(m.owned().get(2)).toBeGreaterThan(moved);
  });

  it("keeps what the owner wrote through a hand-over: the next owner acquires the partition with it", async () => {
    const g = fresh("data");
    const a = await member(g, "a");
    await vi.waitFor(() => expect(a.owned().size).toBe(16), WAIT);
    for (let p = 0; p < 16; p++) await a.write(p, { pointer: p });
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    const b = await GroupMember.join(await createOrJoinGroup(nc, { group: g }), { name: "b", leaseSeconds: LEASE });
    members.push(b);
    const events: GroupEvent[] = [];
    b.events$.subscribe((e) => events.push(e));
    await vi.waitFor(() => expect(b.owned().size).toBe(8), WAIT);
    const acquired = events.filter((e) => e.type === "acquired");
    expect(acquired).toHaveLength(8);
    for (const e of acquired) expect(e.data).toEqual({ pointer: e.partition });
  });

  it("keeps the partition count fixed at creation", async () => {
    const nc = await admin();
    await createOrJoinGroup(nc, { group: "fixed", partitions: 8 });
    expect((await createOrJoinGroup(nc, { group: "fixed" })).partitions).toBe(8);
    const e = await createOrJoinGroup(nc, { group: "fixed", partitions: 16 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GroupError);
    expect((e as GroupError).code).toBe(ErrorCode.GroupFailed);
    expect((e as GroupError).message).toBe(
      'group "fixed" has 8 partitions, not 16 (the count is fixed when a group is created)',
    );
  });

  it("reports a group that does not exist", async () => {
    const nc = await admin();
    await expect(groupStatus(nc, "nope")).rejects.toThrow(/group "nope" does not exist/);
  });

  // Last in this block: it restarts the server the others share.
  it("spreads the partitions again over its members after a server restart", async () => {
    const g = fresh("restart");
    const a = await member(g, "a");
    const b = await member(g, "b");
    const nc = await admin();
    await waitForEvenSpread(nc, g, () => [a.id, b.id]);
    await server.restart();
    // Leases may run out while the server is down: members then rejoin under new ids.
    await waitForEvenSpread(nc, g, () => [a.id, b.id]);
    await vi.waitFor(() => expect(a.owned().size + b.owned().size).toBe(16), WAIT);
  });
});

describe.runIf(!groups)("on a server older than 2.11", () => {
  it("refuses to form a group, naming the version needed", async () => {
    await using server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    try {
      const e = await createOrJoinGroup(nc, { group: "g" }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(GroupError);
      expect((e as GroupError).message).toMatch(
        /^group "g" needs nats-server 2\.11 or newer \(this server is 2\.\d+\.\d+\)$/,
      );
    } finally {
      await nc.close();
    }
  });
});
