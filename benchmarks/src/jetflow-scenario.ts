import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Pipeline } from "@jetflow/pipeline";
import { sqlPipeline } from "@jetflow/sql";
import type { Expected } from "./dataset.js";
import { scenarioSql, sinkSql, VIEW } from "./jetflow-sql.js";
import { checkResult, peakRssMiB, type Scenario, type ScenarioResult, startTiming, throughput } from "./scenario.js";

/**
 * A jetflow pipeline over a pre-loaded dataset, timed from `start()` to `caughtUp()`: connecting,
 * creating the consumer, decoding, upserting and maintaining the group-by view all count.
 * With `checkpoints`, state goes to a temporary directory every second; without, no checkpoint is taken.
 */
export async function runJetflow(
  scenario: Extract<Scenario, { kind: "jetflow" }>,
  url: string,
  expected: Expected | undefined,
): Promise<ScenarioResult> {
  const stateDir = scenario.checkpoints ? fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-bench-state-")) : undefined;
  try {
    // A sink publishes what checkpoints seal: it runs with the in-memory state's 1 s checkpoints.
    const p = sqlPipeline({
      ...(stateDir === undefined
        ? { checkpointIntervalMs: scenario.sink === undefined ? 0 : 1000 }
        : { state: { kind: "filesystem", dir: stateDir }, checkpointIntervalMs: 1000 }),
      ...(scenario.readPath === undefined ? {} : { readPath: scenario.readPath }),
      ...(scenario.workers === undefined ? {} : { workers: scenario.workers }),
      ...(scenario.decodeIn === undefined ? {} : { decodeIn: scenario.decodeIn }),
      ...(scenario.shards === undefined ? {} : { shards: scenario.shards }),
    });
    p.sql(scenarioSql(url, scenario.dataset, scenario.shape) + sinkSql(url, scenario.sink ?? "none"));
    const started = startTiming();
    await p.start();
    try {
      await p.caughtUp();
      const seconds = (performance.now() - started) / 1000;
      const messages = p.metrics.total("jetflow_messages_in_total");
      const bytes = p.metrics.total("jetflow_bytes_in_total");
      const view = fingerprintOf(p.view(VIEW).rows());
      const problems = checkResult(expected, scenario.shape, { messages, bytes }, view);
      // A short run under load can end before the first 1 s checkpoint commits: wait for one
      // (after the measurement) rather than expect it by now.
      if (scenario.checkpoints && !(await checkpointed(p))) problems.push("no checkpoint was taken in 30 s");
      if (
        scenario.sink !== undefined &&
        scenario.sink !== "none" &&
        p.metrics.total("jetflow_sink_published_total") === 0
      )
        problems.push("the sink published nothing");
      return {
        ...throughput(scenario.id, scenario.label, "jetflow", scenario.dataset, messages, bytes, seconds),
        peakRssMiB: peakRssMiB(),
        view,
        problems,
      };
    } finally {
      await p.stop();
    }
  } finally {
    if (stateDir !== undefined) fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Group count, counts and sums added up, from the rows of the group-by view. */
export function fingerprintOf(rows: readonly Record<string, unknown>[]): NonNullable<ScenarioResult["view"]> {
  let count = 0;
  let sum = 0;
  for (const row of rows) {
    count += Number(row["count"]);
    sum += Number(row["sum"]);
  }
  return { groups: rows.length, count, sum };
}

/** Whether `p` commits a checkpoint within 30 s (polled). */
async function checkpointed(p: Pipeline): Promise<boolean> {
  for (const deadline = performance.now() + 30_000; performance.now() < deadline; ) {
    if (p.metrics.total("jetflow_checkpoints_total") > 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
