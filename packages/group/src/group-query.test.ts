import { ErrorCode, JetflowError, type SqlType } from "@jetflow/core";
import { harnessServerVersion, versionAtLeast } from "@jetflow/test-harness";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GroupError } from "./errors.js";
import { createOrJoinGroup } from "./group.js";
import { queryGroup } from "./group-query.js";
import { useServer } from "./testing/server-fixture.js";
import { partitionOf } from "./partition.js";
import { allKeyRows, RowsMembers, sortedRows } from "./testing/rows-task.js";

// Groups need 2.11 (leases with per-message TTL).
const groups = versionAtLeast(harnessServerVersion(), 2, 11);
const WAIT = { timeout: 15_000, interval: 100 };
const BY_KEY = { columns: ["key"], types: [{ kind: "varchar" }] as SqlType[] };
let attempt = 0;
const fresh = (name: string) => `${name}_${++attempt}_${Date.now()}`;

describe("queryGroup's options", () => {
  it.each([
    [{ timeoutMs: 0 }, "timeoutMs must be a whole number of at least 1, got 0"],
    [{ attempts: 1.5 }, "attempts must be a whole number of at least 1, got 1.5"],
    [{ partitions: 0 }, "partitions must be a whole number of at least 1, got 0"],
    [
      { relationKey: { columns: ["a", "b"], types: [{ kind: "integer" }] as SqlType[] } },
      "relationKey needs one type per key column: got 2 columns and 1 types",
    ],
  ])("refuses %j", async (options, message) => {
    // Refused before anything is sent: the connection is never used.
    await expect(queryGroup({} as NatsConnection, "g", { relation: "t" }, options)).rejects.toThrow(message);
  });
});

describe.runIf(groups)("queryGroup: lookups to the key's owner, scans gathered (nats-server 2.11+)", () => {
  const fx = useServer();
  let members: RowsMembers;
  beforeAll(() => {
    members = new RowsMembers(fx.server.url, 2);
  });
  afterAll(() => members?.close());

  it("a scan gathers every partition once; a lookup covering the key asks only its partition", async () => {
    const g = fresh("scan");
    const a = await members.start(g, 4);
    await vi.waitFor(() => expect(a.service.serving()).toEqual([0, 1, 2, 3]), WAIT);

    const scan = await queryGroup(fx.nc, g, { relation: "keys" }); // the partition count read from the group
    expect(scan.columns).toEqual(["key", "partition"]);
    expect(sortedRows(scan)).toEqual(allKeyRows(4));
    for (const t of a.made.values()) expect(t.answered).toBe(1);

    const p7 = partitionOf(["k7"], 4);
    const one = await queryGroup(fx.nc, g, { relation: "keys", equal: { key: "k7" } }, { relationKey: BY_KEY });
    expect(one.rows).toEqual([["k7", p7]]);
    for (const [p, t] of a.made) expect(t.answered, `partition ${p}`).toBe(p === p7 ? 2 : 1);
    // Equalities that do not cover the key: every partition, each filtering its rows.
    const filtered = await queryGroup(fx.nc, g, { relation: "keys", equal: { partition: p7 } }, { partitions: 4 });
    expect(sortedRows(filtered)).toEqual(allKeyRows(4).filter((r) => r[1] === p7));
    for (const [p, t] of a.made) expect(t.answered, `partition ${p}`).toBe(p === p7 ? 3 : 2);
  });

  it("an unknown relation or column is refused at once, with the task's error as the cause", async () => {
    const g = fresh("unknown");
    const a = await members.start(g, 2);
    await vi.waitFor(() => expect(a.service.serving()).toEqual([0, 1]), WAIT);
    const started = Date.now();
    const e = await queryGroup(fx.nc, g, { relation: "nope" }, { partitions: 2 }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GroupError);
    expect((e as GroupError).message).toBe(
      `group "${g}": partition 0 refused the query of "nope": no relation "nope" here (there are: keys)`,
    );
    expect(((e as GroupError).cause as JetflowError).code).toBe(ErrorCode.UnknownRelation);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(
      queryGroup(fx.nc, g, { relation: "keys", equal: { colour: "red" } }, { partitions: 2 }),
    ).rejects.toThrow('relation "keys" has no column "colour" (it has key, partition)');
  });

  it("a partition nobody serves fails the call after its tries, naming it", async () => {
    const g = fresh("nobody");
    await createOrJoinGroup(fx.nc, { group: g, partitions: 3 });
    const started = Date.now();
    const e = await queryGroup(fx.nc, g, { relation: "keys" }, { timeoutMs: 150, attempts: 2 }).catch(
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
