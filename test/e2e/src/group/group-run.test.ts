import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SqlType } from "@jetflow/core";
import { groupStatus, queryGroup } from "@jetflow/group";
import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";
import { sortRows } from "../reference-sql.js";
import { GroupMembers } from "./group-members.js";
import { kvRows } from "./kv-rows.js";
import { type Customer, ShopFeed, shopBatch } from "./shop-feed.js";
import { expectedShop } from "./shop-reference.js";
import { setUpShop } from "./shop-setup.js";
import { SHOP_VIEWS, type ShopView } from "./shop-sql.js";

/**
 * `jetflow run FILE.sql --group NAME`: member processes share one SQL pipeline's partitions while
 * they crash (kill -9), restart (after a crash, and after a clean stop), join, freeze past their lease and come back; a fresh member's
 * `--print`, the KV sink's bucket and a lookup from outside must all end equal to what PostgreSQL
 * computes over the final tables.
 */

// Groups need nats-server 2.11 (leases with per-message TTL); older servers must refuse them.
const groups = versionAtLeast(harnessServerVersion(), 2, 11);

const COUNTRIES = ["fr", "de", "es", "côte d'ivoire"];
/** Customers `ids`, each in `country(id)`. */
const customers = (ids: readonly number[], country: (id: number) => string): Customer[] =>
  ids.map((id) => ({ id, country: country(id) }));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * The scenario's publishes, by when they happen. Orders refer to customers 0..44 (40..44 have no
 * row at first: the inner join drops their orders until they appear); later batches move orders
 * to other customers and amounts, and customers to other countries; "atlantis" empties after the
 * crash, so its row must leave the view and its key the KV bucket.
 */
const ORDERS = { customerIds: 45 };
const SCENARIO = {
  initial: shopBatch(1, {
    ...ORDERS,
    orders: 3000,
    orderIds: 1200,
    customers: customers(range(0, 40), (id) => (id < 4 ? "atlantis" : (COUNTRIES[id % 4] as string))),
  }),
  whileRunning: shopBatch(2, {
    ...ORDERS,
    orders: 8000,
    orderIds: 1400,
    customers: [...customers(range(4, 14), (id) => COUNTRIES[(id + 1) % 4] as string), { id: 40, country: "de" }],
  }),
  afterCrash: shopBatch(3, { ...ORDERS, orders: 1500, orderIds: 1400, customers: customers(range(0, 4), () => "es") }),
  afterJoin: shopBatch(4, { ...ORDERS, orders: 800, orderIds: 1500, customers: customers(range(20, 26), () => "fr") }),
  whileFrozen: shopBatch(5, {
    ...ORDERS,
    orders: 1000,
    orderIds: 1500,
    customers: customers(range(30, 36), () => "de"),
  }),
  last: shopBatch(6, { ...ORDERS, orders: 300, orderIds: 1500, customers: [{ id: 41, country: "côte d'ivoire" }] }),
};

let server: NatsServer;
let nc: NatsConnection;
let dir: string;
const groupsStarted: GroupMembers[] = [];

beforeAll(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-group-run-"));
});
afterAll(async () => {
  for (const members of groupsStarted) await members.close();
  await nc?.close();
  await server?.dispose();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh shop and the members of its group (ended in afterAll if a test fails first). */
async function shopGroup(label: string) {
  const shop = await setUpShop(server.url, dir, label);
  const members = new GroupMembers(nc, shop.names.group, shop.memberArgs);
  groupsStarted.push(members);
  return { shop, members, feed: new ShopFeed({ servers: server.url }, shop.names) };
}

describe.runIf(groups)("jetflow run --group (nats-server 2.11+)", () => {
  it("members crash, restart, join and freeze past their lease; every view, the KV sink and a lookup end as PostgreSQL computes them", async () => {
    const { shop, members, feed } = await shopGroup("shop");
    await feed.publish(SCENARIO.initial);
    const a = members.start("A");
    const b = members.start("B");
    const c = members.start("C");
    await members.untilSettled([a, b, c]);

    // More while they run; B crashes mid-run: once it committed after the batch began to arrive.
    const bCommits = () => b.events().filter((e) => e.type === "committed").length;
    const before = bCommits();
    const publishing = feed.publish(SCENARIO.whileRunning);
    await members.until("B to commit after the publish began", () => bCommits() > before);
    expect((await members.crash("B")).signal).toBe("SIGKILL");
    await publishing;
    await feed.publish(SCENARIO.afterCrash);

    // B comes back as a new process, and D joins.
    const b2nd = members.start("B2");
    const d = members.start("D");
    await members.untilSettled([a, b2nd, c, d]);
    const joined = feed.publish(SCENARIO.afterJoin);
    // D restarts while that arrives: a clean stop hands its partitions over with their last
    // checkpoints, and the new process takes a share again.
    expect(await members.stop("D"), members.report()).toEqual({ code: 0, signal: null });
    const d2nd = members.start("D2");
    await joined;
    await members.untilSettled([a, b2nd, c, d2nd]);

    // C freezes past its lease: the others take its partitions over and go on without it.
    members.freeze("C");
    await members.untilSettled([a, b2nd, d2nd]);
    await feed.publish(SCENARIO.whileFrozen);
    // Thawed, C is late: what it commits now is refused (fenced by the new owners' revisions).
    members.thaw("C");
    await members.until("C to see its commits refused or its partitions fenced", () =>
      c
        .events()
        .some(
          (e) =>
            e.type === "commit_refused" ||
            (e.type === "task_stopped" && (e.reason === "fenced" || e.reason === "lease_lost")),
        ),
    );
    // It rejoins (a new member id) and takes a share again.
    await members.untilSettled([a, b2nd, c, d2nd]);
    await feed.publish(SCENARIO.last);

    const expected = await expectedShop(feed);
    // A fresh member prints each view once the whole group caught up, then leaves.
    for (const view of Object.keys(SHOP_VIEWS) as ShopView[]) {
      const printed = await runCli([...shop.memberArgs, "--until-caught-up", "--print", view], { timeoutMs: 60_000 });
      const why = `--print ${view}: exit ${printed.code}\n${printed.stderr}\n${members.report()}`;
      expect(printed.code, why).toBe(0);
      expect(printed.stdout, why).toBe(expected[view].jsonLines);
    }
    expect(expected.by_country.rows.map((r) => r["country"])).not.toContain("atlantis");

    // The KV sink publishes after each commit: its bucket comes to hold exactly the view.
    await members.until("the KV bucket to equal by_country", async () => {
      const rows = sortRows([...(await kvRows(nc, shop.names.kvBucket)).values()]);
      return JSON.stringify(rows) === JSON.stringify(expected.by_country.rows);
    });
    // Keyed by the group key: one key per country, "atlantis" deleted once it emptied.
    const kv = await kvRows(nc, shop.names.kvBucket);
    expect(kv.size).toBe(expected.by_country.rows.length);
    for (const country of ["fr", "de", "es"])
      expect(kv.get(country)).toEqual(expected.by_country.rows.find((r) => r["country"] === country));

    // A lookup by the group key, from outside the group, goes to the key's owner.
    const lookup = async (view: ShopView, column: string, value: unknown, type: SqlType) => {
      const { columns, rows } = await queryGroup(
        nc,
        shop.names.group,
        { relation: view, equal: { [column]: value } },
        { relationKey: { columns: [column], types: [type] } },
      );
      return rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]])));
    };
    expect(await lookup("by_country", "country", "côte d'ivoire", { kind: "varchar" })).toEqual(
      expected.by_country.rows.filter((r) => r["country"] === "côte d'ivoire"),
    );
    expect(await lookup("per_customer", "cust", 7, { kind: "integer" })).toEqual(
      expected.per_customer.rows.filter((r) => r["cust"] === 7),
    );

    // Nothing failed or complained anywhere through all of it.
    const complaints = members.all().flatMap((m) => m.complaints().map((line) => `${m.name}: ${line}`));
    expect(complaints, members.report()).toEqual([]);

    // Every member leaves cleanly on SIGTERM: the group ends empty, its partitions released.
    for (const name of ["A", "B2", "C", "D2"]) {
      const exit = await members.stop(name);
      expect(exit, `${name} on SIGTERM\n${members.report()}`).toEqual({ code: 0, signal: null });
    }
    const status = await groupStatus(nc, shop.names.group);
    expect({ members: status.members, unowned: status.unowned.length }).toEqual({ members: [], unowned: 8 });
    // Restores read checkpoints without leaving consumers on the state bucket (reads through
    // ordered consumers piled up to the stream's limit and failed every later restore).
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(`OBJ_${shop.names.stateBucket}`)).state.consumer_count).toBe(0);
  }, 150_000);

  it("jetflow group status lists the running members, each with the partitions it runs", async () => {
    const { shop, members } = await shopGroup("status");
    const running = [members.start("A"), members.start("B")];
    await members.untilSettled(running);
    const status = await runCli(["group", "status", shop.names.group, "--server", server.url]);
    const why = `group status: exit ${status.code}\n${status.stdout}${status.stderr}\n${members.report()}`;
    expect(status.code, why).toBe(0);
    const lines = status.stdout.trimEnd().split("\n");
    expect(lines[0], why).toBe(`group ${shop.names.group}: 8 partitions, 2 members`);
    expect(lines.at(-1), why).toBe("unowned: none");
    // Rows: member, host, pid, lease age, count, lag, partitions (columns two spaces apart at least).
    for (const m of running) {
      const row = lines.find((l) => l.startsWith(`${m.memberId} `))?.split(/ {2,}/);
      const partitions = m.runningPartitions();
      expect(row?.[2], why).toBe(String(m.pid));
      // Nothing was published: every partition the member runs reports its lag, 0.
      expect(row?.slice(4), why).toEqual([String(partitions.length), "0", partitions.join(",")]);
    }
    for (const m of running) expect(await members.stop(m.name), members.report()).toEqual({ code: 0, signal: null });
  });
});

describe.runIf(!groups)("jetflow run --group on nats-server older than 2.11", () => {
  it("exits non-zero with one line naming the version needed", async () => {
    const { sqlFile } = await setUpShop(server.url, dir, "old");
    const r = await runCli(["run", sqlFile, "--group", "g", "--state-bucket", "b"]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr.trimEnd().split("\n"), r.stderr).toEqual([expect.stringContaining("2.11")]);
  });
});
