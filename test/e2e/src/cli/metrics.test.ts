import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer, connectOptions, freePort, userPassword } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addStream, publishRaw } from "../sql/publish.js";
import { RunningCli } from "./running-cli.js";

/**
 * `jetflow run --metrics-port N`: Prometheus text at 127.0.0.1:N/metrics while it runs, with the
 * metrics DESIGN §6 lists — messages and bytes in, decode errors, batches, consumer lag
 * (num_pending), checkpoint duration, view sizes — and never a secret.
 */

/** One scrape: `name{labels}` -> value, plus the HELP/TYPE lines. */
async function scrape(port: number): Promise<{ text: string; value: (series: string) => number | undefined }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text, value: (series) => values.get(series) };
}

describe("jetflow run --metrics-port", () => {
  let server: NatsServer;
  let dir: string;
  const password = "Metrics-pa55word-7";
  const GOOD = 3000;
  const BAD = 7;

  beforeAll(async () => {
    server = await NatsServer.start({ auth: userPassword("metrics", password) });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-metrics-"));
    const client = connectOptions(server.client);
    await addStream(client, "m", ["m.>"]);
    const payloads = Array.from({ length: GOOD }, (_, i) => JSON.stringify({ id: i % 500, g: `g${i % 7}`, v: i }));
    for (let k = 0; k < BAD; k++) payloads.splice(k * 300, 0, "not json");
    await publishRaw(
      client,
      "m",
      payloads.map((p) => ({ subject: "m.x", payload: p })),
    );
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves Prometheus text while running: every DESIGN §6 metric, by relation, no secrets; Ctrl-C exits 0", async () => {
    const file = path.join(dir, "m.sql");
    fs.writeFileSync(
      file,
      `CREATE TABLE t (id int PRIMARY KEY, g varchar, v int)
WITH (connector = 'nats', server_url = '${server.url}', subject = 'm.x', stream = 'm',
      connect_mode = 'user_and_password', username = 'metrics', password = '${password}')
FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW per_g AS SELECT g, count(*), sum(v) FROM t GROUP BY g;
CREATE MATERIALIZED VIEW ratio AS SELECT id, v / (id - id) AS boom FROM t WHERE id < 3;
`,
    );
    const port = await freePort();
    const stateDir = path.join(dir, "state");
    const cli = RunningCli.start([
      "run",
      file,
      "--metrics-port",
      String(port),
      "--state-dir",
      stateDir,
      "--checkpoint-interval",
      "100",
    ]);
    try {
      let last: Awaited<ReturnType<typeof scrape>> | undefined;
      await cli.until("every message counted and a checkpoint taken", async () => {
        last = await scrape(port).catch(() => undefined);
        return (
          last?.value('jetflow_messages_in_total{relation="t"}') === GOOD + BAD &&
          (last?.value("jetflow_checkpoints_total") ?? 0) > 0
        );
      });
      const m = last as Awaited<ReturnType<typeof scrape>>;
      expect(m.value('jetflow_bytes_in_total{relation="t"}')).toBeGreaterThan(GOOD * 20);
      expect(m.value('jetflow_rows_decoded_total{relation="t"}')).toBe(GOOD);
      expect(m.value('jetflow_decode_errors_total{relation="t"}')).toBe(BAD);
      expect(m.value('jetflow_batches_total{relation="t"}')).toBeGreaterThan(0);
      expect(m.value('jetflow_consumer_lag{relation="t"}')).toBe(0);
      expect(m.value('jetflow_relation_rows{relation="t"}')).toBe(500);
      expect(m.value('jetflow_relation_rows{relation="per_g"}')).toBe(7);
      expect(m.value("jetflow_checkpoint_duration_ms")).toBeGreaterThanOrEqual(0);
      expect(m.value('jetflow_expression_nulls_total{relation="ratio",kind="divisionByZero"}')).toBeGreaterThan(0);
      // Each family is introduced with HELP and TYPE, as the text format wants.
      for (const name of [
        "jetflow_messages_in_total",
        "jetflow_bytes_in_total",
        "jetflow_decode_errors_total",
        "jetflow_batches_total",
        "jetflow_consumer_lag",
        "jetflow_checkpoint_duration_ms",
        "jetflow_relation_rows",
      ]) {
        expect(m.text).toMatch(new RegExp(`# HELP ${name} .+\\n# TYPE ${name} (counter|gauge)\\n`));
      }
      expect(m.text).not.toContain(password);
      expect(m.text).not.toContain("metrics@"); // no credentials in a URL either
      const notFound = await fetch(`http://127.0.0.1:${port}/nope`);
      expect(notFound.status).toBe(404);
    } finally {
      const end = await cli.stop("SIGINT");
      expect(end, cli.stderr).toEqual({ code: 0, signal: null });
    }
    expect(cli.stderr).toBe("");
    // The port is closed once it exits.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it("a port in use is one clear line and a non-zero exit", async () => {
    const port = await freePort();
    const { createServer } = await import("node:http");
    const blocker = createServer(() => undefined);
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", r));
    try {
      const file = path.join(dir, "m.sql");
      const cli = RunningCli.start(["run", file, "--metrics-port", String(port), "--until-caught-up"]);
      const end = await cli.exited;
      expect(end.code).toBe(1);
      expect(cli.stderr.trim().split("\n")).toHaveLength(1);
      expect(cli.stderr).toMatch(new RegExp(`EADDRINUSE|${port}`));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
