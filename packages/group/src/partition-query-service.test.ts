import { harnessServerVersion, versionAtLeast } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { queryGroup } from "./group-query.js";
import { useServer } from "./testing/server-fixture.js";
import { partitionOf } from "./partition.js";
import { allKeyRows, KEYS, RowsMembers, sortedRows } from "./testing/rows-task.js";

// Groups need 2.11 (leases with per-message TTL).
const groups = versionAtLeast(harnessServerVersion(), 2, 11);
// A hand-over hook may run this long: the hand-over test checks the silence inside it.
const LEASE = 3;
const WAIT = { timeout: 15_000, interval: 100 };
let attempt = 0;
const fresh = (name: string) => `${name}_${++attempt}_${Date.now()}`;

describe.runIf(groups)("servePartitionQueries (nats-server 2.11+)", () => {
  const fx = useServer();
  let members: RowsMembers;
  beforeAll(() => {
    members = new RowsMembers(fx.server.url, LEASE);
  });
  afterAll(() => members?.close());

  it("serves the partitions whose task runs and answers queries, and none after a leave", async () => {
    const g = fresh("leave");
    const a = await members.start(g, 4);
    await vi.waitFor(() => expect(a.service.serving()).toEqual([0, 1, 2, 3]), WAIT);
    expect(sortedRows(await queryGroup(fx.nc, g, { relation: "keys" }))).toEqual(allKeyRows(4));
    await a.tasks.leave();
    expect(a.service.serving()).toEqual([]);
    await expect(
      queryGroup(fx.nc, g, { relation: "keys" }, { partitions: 4, timeoutMs: 50, attempts: 1 }),
    ).rejects.toThrow("partitions 0, 1, 2, 3 did not answer");
  });

  it("does not serve a partition whose task has no query", async () => {
    const g = fresh("noquery");
    const a = await members.start(g, 2, { withQuery: false });
    await vi.waitFor(() => expect(a.tasks.running()).toEqual([0, 1]), WAIT);
    expect(a.service.serving()).toEqual([]);
  });

  it("a partition being handed over answers nothing until its next owner runs it", async () => {
    const g = fresh("handover");
    const a = await members.start(g, 4);
    await vi.waitFor(() => expect(a.service.serving()).toEqual([0, 1, 2, 3]), WAIT);
    for (const t of a.made.values()) t.hold();
    const b = await members.start(g, 4);
    // Two partitions move to b; a's hand-over of them waits on their held last checkpoint.
    let moving: number[] = [];
    await vi.waitFor(() => {
      moving = [0, 1, 2, 3].filter((p) => a.tasks.running().includes(p) && a.tasks.answering(p) === undefined);
      expect(moving).toHaveLength(2);
    }, WAIT);
    const quick = { partitions: 4, timeoutMs: 100, attempts: 2 };
    await expect(queryGroup(fx.nc, g, { relation: "keys" }, quick)).rejects.toThrow(
      `partitions ${moving.join(", ")} did not answer the query of "keys" (2 tries of 100 ms)`,
    );
    // A lookup of a key of a moving partition waits across the move (the default tries span it).
    const key = KEYS.find((k) => partitionOf([k], 4) === moving[0]) as string;
    const byKey = { columns: ["key"], types: [{ kind: "varchar" as const }] };
    const lookup = queryGroup(fx.nc, g, { relation: "keys", equal: { key } }, { relationKey: byKey, partitions: 4 });
    for (const t of a.made.values()) t.release();
    expect((await lookup).rows).toEqual([[key, moving[0]]]);
    expect(sortedRows(await queryGroup(fx.nc, g, { relation: "keys" }))).toEqual(allKeyRows(4));
    await vi.waitFor(() => expect(b.service.serving()).toEqual(moving), WAIT);
    for (const p of moving)
      expect(b.made.get(p)?.answered, `partition ${p} on its next owner`).toBe(p === moving[0] ? 2 : 1);
  });
});
