import type { Pipeline } from "@jetflow/pipeline";
import { sqlPipeline } from "@jetflow/sql";
import { scenarioSql } from "./jetflow-sql.js";
import { latencyOf, peakRssMiB, type Scenario, type ScenarioResult, throughput } from "./scenario.js";

/** How long a live scenario waits for the last message after the publisher should have finished. */
export const GRACE_MS = 30_000;

/** A live scenario: the latency kind, whose stream the parent publishes into while the child runs. */
export type LiveScenario = Extract<Scenario, { kind: "latency" }>;

/** The table + group-by pipeline (with the latency projection view when asked) started on the live stream, no checkpoints. */
export async function startLivePipeline(scenario: LiveScenario, url: string, latencyView: boolean): Promise<Pipeline> {
  const p = sqlPipeline({ checkpointIntervalMs: 0 });
  p.sql(scenarioSql(url, scenario.dataset, "table", latencyView));
  await p.start();
  return p;
}

/** A live scenario's result: what the pipeline ingested in `seconds`, and the latency samples. */
export function liveResult(
  scenario: LiveScenario,
  p: Pipeline,
  seconds: number,
  samples: Float64Array,
  problems: string[],
): ScenarioResult {
  const messages = p.metrics.total("jetflow_messages_in_total");
  return latencyResult(scenario, messages, p.metrics.total("jetflow_bytes_in_total"), seconds, samples, problems);
}

/** A live scenario's result from what its reader counted: `messages` and `bytes` in `seconds`, the latency samples. */
export function latencyResult(
  scenario: LiveScenario,
  messages: number,
  bytes: number,
  seconds: number,
  samples: Float64Array,
  problems: string[],
): ScenarioResult {
  return {
    ...throughput(scenario.id, scenario.label, "latency", scenario.dataset, messages, bytes, Math.max(1e-3, seconds)),
    peakRssMiB: peakRssMiB(),
    latency: latencyOf(samples),
    problems,
  };
}
