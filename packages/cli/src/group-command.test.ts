import path from "node:path";
import { createOrJoinGroup, ensureExchangeStream, GroupMember, openStateBucket } from "@jetflow/group";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import {
  harnessServerVersion,
  NatsServer,
  type NodeScriptResult,
  runNode,
  versionAtLeast,
} from "@jetflow/test-harness";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it, vi } from "vitest";

/** The built binary (`tsc -b` writes dist/bin.js). */
const BIN = path.resolve(import.meta.dirname, "../dist/bin.js");

function jetflow(args: readonly string[]): Promise<NodeScriptResult> {
  return runNode([BIN, ...args], { killAfterMs: 30_000 });
}

const groups = versionAtLeast(harnessServerVersion(), 2, 11);

describe("jetflow group status", () => {
  it.runIf(groups)("prints the members, their partitions and lease ages", async () => {
    await using server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    try {
      const group = await createOrJoinGroup(nc, { group: "orders", partitions: 8 });
      const a = await GroupMember.join(group, { name: "alpha", leaseSeconds: 5 });
      const b = await GroupMember.join(group, { name: "beta", leaseSeconds: 5 });
      await vi.waitFor(() => expect(a.owned().size + b.owned().size).toBe(8), { timeout: 30_000 });
      await vi.waitFor(() => expect([a.owned().size, b.owned().size]).toEqual([4, 4]), { timeout: 30_000 });
      const r = await jetflow(["group", "status", "orders", "--server", server.url]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines[0]).toBe("group orders: 8 partitions, 2 members");
      expect(lines[1]).toMatch(/^member\s+host\s+pid\s+lease age\s+count\s+lag\s+partitions$/);
      const rows = lines.slice(2, 4).map((l) => l.split(/\s+/));
      const byId = new Map(rows.map((r) => [r[0], r]));
      for (const m of [a, b]) {
        const row = byId.get(m.id)!;
        expect(row[2]).toBe(String(process.pid));
        expect(row[3]).toMatch(/^\d+\.\d+s\/5s$/);
        expect(row[4]).toBe("4");
        expect(row[5]).toBe("-"); // bare members run no pipeline: no partition reports its lag
        expect(row[6]).toBe([...m.owned().keys()].sort((x, y) => x - y).join(","));
      }
      expect(lines[4]).toBe("unowned: none");
      await a.leave();
      await b.leave();
    } finally {
      await nc.close();
    }
  });

  it.runIf(groups)("fails with one line for a group that does not exist", async () => {
    await using server = await NatsServer.start();
    const r = await jetflow(["group", "status", "nope", "--server", server.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^jetflow: group "nope" does not exist: [^\n]*\n$/);
  });

  it.runIf(!groups)("refuses a server older than 2.11 with one line naming the version needed", async () => {
    await using server = await NatsServer.start();
    const r = await jetflow(["group", "status", "orders", "--server", server.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^jetflow: group "orders" needs nats-server 2\.11 or newer \(this server is 2\.\d+\.\d+\)\n$/,
    );
  });

  it.runIf(groups)(
    "group delete refuses a group with live members, then removes its bucket, exchange and checkpoints",
    async () => {
      await using server = await NatsServer.start();
      const nc = await connect({ servers: server.url });
      try {
        const group = await createOrJoinGroup(nc, { group: "gone", partitions: 2 });
        await ensureExchangeStream(await jetstreamManager(nc), "gone");
        const os = await openStateBucket(jetstream(nc), "gone-state");
        await os.putBlob({ name: "gone/p0/owner/1" }, new Uint8Array([1]));
        await os.putBlob({ name: "other/p0/owner/1" }, new Uint8Array([2]));
        const member = await GroupMember.join(group, { name: "alive", leaseSeconds: 5 });
        const args = ["group", "delete", "gone", "--server", server.url, "--state-bucket", "gone-state"];
        const refused = await jetflow(args);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(
          /^jetflow: group "gone" has 1 live member \(alive[^)]*\): stop them first, or force the delete\n$/,
        );
        await member.leave();
        const r = await jetflow(args);
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe("group gone deleted: its KV bucket, its exchange stream, 1 checkpoint objects\n");
        expect((await os.list()).filter((o) => !o.deleted).map((o) => o.name)).toEqual(["other/p0/owner/1"]);
        await expect((await jetstreamManager(nc)).streams.info("JF_X_gone")).rejects.toThrow(/stream not found/);
        expect((await jetflow(["group", "status", "gone", "--server", server.url])).stderr).toMatch(
          /^jetflow: group "gone" does not exist/,
        );
      } finally {
        await nc.close();
      }
    },
  );

  it("needs a subcommand and a name", async () => {
    expect((await jetflow(["group", "stats", "x", "--server", "127.0.0.1:1"])).stderr).toBe(
      'jetflow: group: unknown subcommand "stats" (subcommands: status, delete)\n',
    );
    const r = await jetflow(["group", "status", "--server", "127.0.0.1:1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("jetflow: group status: give one group NAME\n");
  });
});
