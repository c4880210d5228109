import http from "node:http";
import { serve } from "@jetflow/serve";
import { GRACE_MS, type LiveScenario, liveResult, startLivePipeline } from "./live-run.js";
import type { ScenarioResult } from "./scenario.js";

/** A burst of lookups starts every this many milliseconds (or when the previous one ended, if later). */
const BURST_EVERY_MS = 100;

/**
 * Serving under load: a jetflow pipeline (keyed table `t` + group-by view) follows an empty
 * stream and serves it over HTTP; once it runs, `ready()` tells the parent to publish at
 * `scenario.rate`, and bursts of `scenario.lookups` concurrent `GET /api/relations/t?id=N` (a
 * primary-key probe, keep-alive connections) go out every 100 ms until every message was
 * ingested. Each sample is one lookup's round trip, the clients running in the same process (so
 * their HTTP work counts too); lookups before `warmup` messages were ingested are not counted. Throughput
 * is what the pipeline ingested meanwhile, so a serving path that stalled ingestion shows here too.
 */
export async function runServingLookups(
  scenario: LiveScenario,
  url: string,
  ready: () => void,
): Promise<ScenarioResult> {
  const total = scenario.dataset.messages;
  const clients = scenario.lookups ?? 200;
  const p = await startLivePipeline(scenario, url, false);
  const server = await serve(p);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  try {
    const samples: number[] = [];
    const problems: string[] = [];
    const ingested = () => p.metrics.total("jetflow_messages_in_total");
    const startedAt = performance.now();
    const deadline = startedAt + (total / scenario.rate) * 1000 + GRACE_MS;
    let failures = 0;
    let next = 0;
    const lookup = async (): Promise<void> => {
      const id = (next++ * 7919) % scenario.dataset.keys;
      const t0 = performance.now();
      const status = await get(agent, `${server.url}/api/relations/t?id=${id}`);
      if (status !== 200) failures++;
      if (ingested() >= Math.max(1, scenario.warmup)) samples.push(performance.now() - t0);
    };
    // One burst before the publisher starts opens the keep-alive connections (not counted: nothing ingested yet).
    await Promise.all(Array.from({ length: clients }, lookup));
    samples.length = 0;
    ready();
    // Bursts of `clients` concurrent lookups, one every BURST_EVERY_MS, until every message is in.
    while (ingested() < total && performance.now() < deadline) {
      const burst = performance.now();
      await Promise.all(Array.from({ length: clients }, lookup));
      const rest = BURST_EVERY_MS - (performance.now() - burst);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    const seconds = (performance.now() - startedAt) / 1000;
    if (ingested() < total) problems.push(`ingested ${ingested()} of ${total} messages`);
    if (failures > 0) problems.push(`${failures} lookups failed`);
    if (samples.length === 0) problems.push("no lookup measured");
    return liveResult(scenario, p, seconds, Float64Array.from(samples), problems);
  } finally {
    agent.destroy();
    await server.close();
    await p.stop();
  }
}

/** One GET, its body read and dropped; resolves with the status (0 on a connection error). */
function get(agent: http.Agent, url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
        res.once("error", () => resolve(0));
      })
      .once("error", () => resolve(0));
  });
}
