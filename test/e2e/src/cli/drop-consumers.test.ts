import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";

/** DESIGN §4: no consumers left behind after DROP, also for consumers an earlier run created. */
describe("DROP in a SQL file run by the CLI", () => {
  it("removes the durable consumers that an earlier `jetflow run` left for the dropped relation", async () => {
    await using server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "dropme", subjects: ["dropme.>"] });
    for (let i = 1; i <= 5; i++) nc.publish(i % 2 === 0 ? "dropme.a" : "dropme.b", JSON.stringify({ id: i }));
    await nc.flush();
    // Someone else's consumer on the same stream stays.
    await jsm.consumers.add("dropme", { durable_name: "bystander", ack_policy: "explicit" });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-drop-"));
    const create = `CREATE TABLE t (id int PRIMARY KEY) WITH (connector='nats', server_url='${server.url}',
      subject='dropme.a,dropme.b', stream='dropme', connect_mode='plain', consumer.durable_name='jf1')
      FORMAT PLAIN ENCODE JSON;\n`;
    fs.writeFileSync(path.join(dir, "create.sql"), create);
    fs.writeFileSync(path.join(dir, "drop.sql"), `${create}DROP TABLE t;\n`);
    const names = async () => {
      const out: string[] = [];
      for await (const ci of jsm.consumers.list("dropme")) out.push(ci.name);
      return out.sort();
    };

    const first = await runCli(["run", path.join(dir, "create.sql"), "--until-caught-up", "--print", "t"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().split("\n")).toHaveLength(5);
    const left = await names();
    expect(left).toContain("bystander");
    expect(left.some((n) => n.startsWith("jf1"))).toBe(true); // the durable consumer outlives the run

    const second = await runCli(["run", path.join(dir, "drop.sql"), "--until-caught-up"]);
    expect(second.code, second.stderr).toBe(0);
    expect(await names()).toEqual(["bystander"]);
    await nc.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
