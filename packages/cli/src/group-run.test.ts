import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it, vi } from "vitest";
import { runCommand } from "./run-command.js";

const groups = versionAtLeast(harnessServerVersion(), 2, 11);

/** What a command wrote so far, and a Ctrl-C to send it. */
function capture() {
  let stderr = "";
  const err = new PassThrough();
  err.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => {
    interrupt = resolve;
  });
  return { io: { stdout: new PassThrough(), stderr: err, interrupted }, stderr: () => stderr, interrupt };
}

describe("jetflow run --group with --http and --nats-service", () => {
  it.runIf(groups)(
    "prints where it serves, and answers for the whole relation over HTTP and NATS",
    async () => {
      await using server = await NatsServer.start();
      const nc = await connect({ servers: server.url });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-group-run-"));
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: "SHOP", subjects: ["shop.>"] });
        for (let i = 0; i < 40; i++) {
          await jsm.jetstream().publish("shop.orders", JSON.stringify({ id: i, region: ["n", "s"][i % 2] }));
        }
        const file = path.join(dir, "shop.sql");
        fs.writeFileSync(
          file,
          `CREATE TABLE orders (id int PRIMARY KEY, region varchar)
         WITH (connector = 'nats', server_url = '${server.url}', connect_mode = 'plain', subject = 'shop.orders', stream = 'SHOP')
         FORMAT PLAIN ENCODE JSON;
         CREATE MATERIALIZED VIEW by_region AS SELECT region, count(*) AS n FROM orders GROUP BY region;`,
        );
        const run = capture();
        const args = [file, "--group", "shop", "--state-bucket", "shop-state", "--partitions", "3", "--http", "0"];
        const done = runCommand([...args, "--nats-service", "--lease-seconds", "2"], run.io);
        // The HTTP server is up first, then the NATS service.
        await vi.waitFor(
          () => expect(run.stderr()).toContain("jetflow: NATS service jetflow answering on jetflow.query.<relation>"),
          { timeout: 30_000 },
        );
        expect(run.stderr()).toMatch(/jetflow: serving http:\/\/127\.0\.0\.1:\d+\n/);
        const url = /jetflow: serving (\S+)\n/.exec(run.stderr())?.[1] as string;
        await vi.waitFor(
          async () => {
            const res = await fetch(`${url}/api/relations/by_region`);
            expect(await res.text()).toBe('[{"region":"n","n":20},{"region":"s","n":20}]');
          },
          { timeout: 30_000, interval: 250 },
        );
        expect(await (await fetch(`${url}/api/relations/orders?id=7`)).text()).toBe('[{"id":7,"region":"s"}]');
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(metrics).toContain("jetflow_group_partitions_owned 3\n");
        const reply = await nc.request("jetflow.query.by_region", '{"region":"s"}');
        expect(new TextDecoder().decode(reply.data)).toBe('[{"region":"s","n":20}]');
        run.interrupt();
        expect(await done).toBe(0);
        await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      } finally {
        await nc.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});

describe("jetflow run --group --workers / --shards", () => {
  it("is a usage error: a member reads its partitions on its own thread", async () => {
    const { io } = capture();
    await expect(runCommand(["any.sql", "--group", "g", "--state-bucket", "b", "--workers", "2"], io)).rejects.toThrow(
      "run: --workers is for one process; a --group member reads its partitions on its own thread",
    );
    await expect(runCommand(["any.sql", "--group", "g", "--state-bucket", "b", "--shards", "2"], io)).rejects.toThrow(
      "run: --shards is for one process; a --group spreads its partitions over members",
    );
  });
});
