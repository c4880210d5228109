import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { connect } from "@nats-io/transport-node";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli } from "../cli-process.js";
import { addStream, publishRaw } from "../sql/publish.js";
import { order, ordersSql, startServing } from "./serving-cli.js";

/**
 * `jetflow run FILE --http 0 --nats-service`: while it runs, every endpoint answers with the rows
 * `jetflow run FILE --until-caught-up --print NAME` prints, and so does the NATS service.
 */
describe("jetflow run --http / --nats-service", () => {
  let server: NatsServer;
  let dir: string;

  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-serve-"));
    await addStream({ servers: server.url }, "SRV", ["srv.>"]);
    await publishRaw(
      { servers: server.url },
      "SRV",
      Array.from({ length: 1000 }, (_, i) => ({ subject: "srv.o", payload: JSON.stringify(order(i)) })),
    );
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves --print's rows, lookups, Arrow IPC and the NATS service while it runs; Ctrl-C exits 0", async () => {
    const sql = ordersSql(server, "SRV", "srv.o");
    const printedFile = path.join(dir, "print.sql");
    fs.writeFileSync(printedFile, sql);
    const printOf = async (name: string) => {
      const r = await runCli(["run", printedFile, "--until-caught-up", "--print", name]);
      expect(r.code, r.stderr).toBe(0);
      return parseJsonLines(r.stdout);
    };
    const orders = await printOf("orders");
    const byRegion = await printOf("by_region");

    const { cli, url } = await startServing(dir, sql, ["--nats-service"]);
    const nc = await connect({ servers: server.url });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${url}/api/relations/orders`)).json()).toEqual(orders);
      expect(await (await fetch(`${url}/api/relations/by_region`)).json()).toEqual(byRegion);
      const lookups: [string, string, (r: Record<string, unknown>) => boolean][] = [
        ["orders", "id=42", (r) => r["id"] === 42],
        ["orders", "region=east", (r) => r["region"] === "east"],
        ["orders", `amount=${encodeURIComponent(String(orders[3]?.["amount"]))}`, (r) => r === orders[3]],
        ["by_region", "region=south", (r) => r["region"] === "south"],
      ];
      for (const [name, query, keep] of lookups) {
        const rows = name === "orders" ? orders : byRegion;
        const res = await fetch(`${url}/api/relations/${name}?${query}`);
        expect(await res.json(), query).toEqual(rows.filter(keep));
      }

      const arrow = await fetch(`${url}/api/relations/orders`, {
        headers: { accept: "application/vnd.apache.arrow.stream" },
      });
      const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
      expect(table.numRows).toBe(orders.length);
      expect(table.schema.fields.map((f) => f.name)).toEqual(["id", "region", "amount", "at"]);

      const reply = await nc.request("jetflow.query.by_region", JSON.stringify({ region: "north" }));
      expect(reply.json()).toEqual(byRegion.filter((r) => r["region"] === "north"));
      const all = await nc.request("jetflow.query.orders", "");
      expect(all.json()).toEqual(orders);

      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('jetflow_relation_rows{relation="orders"} 97');
      expect((await fetch(`${url}/`)).headers.get("content-type")).toMatch(/^text\/html/);
    } finally {
      await nc.close();
      const end = await cli.stop("SIGINT");
      expect(end, cli.stderr).toEqual({ code: 0, signal: null });
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("refuses --http-host without a port, and a bad port, in one line", async () => {
    const file = path.join(dir, "print.sql");
    const noPort = await runCli(["run", file, "--http-host", "0.0.0.0", "--until-caught-up"]);
    expect(noPort.code).not.toBe(0);
    expect(noPort.stderr).toContain("--http-host needs --http");
    const badPort = await runCli(["run", file, "--http", "70000", "--until-caught-up"]);
    expect(badPort.code).not.toBe(0);
    expect(badPort.stderr.trim().split("\n")).toHaveLength(1);
    expect(badPort.stderr).toContain("--http");
  });
});
