import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { serve } from "@jetflow/serve";
import { VIEW } from "./jetflow-sql.js";
import { GRACE_MS, type LiveScenario, liveResult, startLivePipeline } from "./live-run.js";
import type { LookupClientCommand, LookupClientReport } from "./lookup-client.js";
import type { ScenarioResult } from "./scenario.js";

/** A burst of lookups starts every this many milliseconds (or when the previous one ended, if later). */
const BURST_EVERY_MS = 100;

/** How often the serving process reads how much was ingested (to start and stop counting). */
const POLL_MS = 10;

// The built client, from src/ (vitest) as from dist/ (pnpm bench): `tsc -b` runs before either.
const CLIENT = fileURLToPath(new URL("../dist/lookup-client.js", import.meta.url));

/**
 * Serving under load: a jetflow pipeline (keyed table `t` + group-by view `agg`) follows an empty
 * stream and serves it over HTTP; once it runs, `ready()` tells the parent to publish at
 * `scenario.rate`, and bursts of `scenario.lookups` concurrent index probes (keep-alive
 * connections), `GET /api/relations/t?id=N` (primary key) and `GET /api/relations/agg?k=gN` (group
 * key) in turn, go out every 100 ms until every message was ingested. The clients run in a process
 * of their own (`lookup-client.ts`), so each sample is a round trip as another process sees it;
 * lookups before `warmup` messages were ingested are not counted. Throughput is what the pipeline
 * ingested meanwhile, so a serving path that stalled ingestion shows here too.
 */
export async function runServingLookups(
  scenario: LiveScenario,
  url: string,
  ready: () => void,
): Promise<ScenarioResult> {
  const total = scenario.dataset.messages;
  const p = await startLivePipeline(scenario, url, false);
  const server = await serve(p);
  const client = fork(CLIENT, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const problems: string[] = [];
    const ingested = () => p.metrics.total("jetflow_messages_in_total");
    const reports = reportsOf(client);
    command(client, {
      type: "start",
      url: server.url,
      paths: probePaths(scenario),
      clients: scenario.lookups ?? 200,
      burstEveryMs: BURST_EVERY_MS,
    });
    await reports.next("warm");
    ready();
    const startedAt = performance.now();
    const deadline = startedAt + (total / scenario.rate) * 1000 + GRACE_MS;
    await until(() => ingested() >= Math.max(1, scenario.warmup) || performance.now() >= deadline);
    command(client, { type: "count" });
    await until(() => ingested() >= total || performance.now() >= deadline);
    const seconds = (performance.now() - startedAt) / 1000;
    command(client, { type: "stop" });
    const done = await reports.next("done");
    if (ingested() < total) problems.push(`ingested ${ingested()} of ${total} messages`);
    if (done.failures > 0) problems.push(`${done.failures} lookups failed`);
    if (done.samples.length === 0) problems.push("no lookup measured");
    return liveResult(scenario, p, seconds, Float64Array.from(done.samples), problems);
  } finally {
    client.kill();
    await server.close();
    await p.stop();
  }
}

/** The probes the clients send in turn: a primary key of `t`, then a group key of the view. */
function probePaths(scenario: LiveScenario): string[] {
  const { keys, groups } = scenario.dataset;
  return Array.from({ length: Math.max(keys, groups) * 2 }, (_, i) =>
    i % 2 === 0 ? `/api/relations/t?id=${(i * 7919) % keys}` : `/api/relations/${VIEW}?k=g${(i * 31) % groups}`,
  );
}

function command(client: ChildProcess, c: LookupClientCommand): void {
  client.send(c);
}

/** The client's reports in order; `next(type)` fails when the client exits first. */
function reportsOf(client: ChildProcess): {
  next<T extends LookupClientReport["type"]>(type: T): Promise<Extract<LookupClientReport, { type: T }>>;
} {
  const queue: LookupClientReport[] = [];
  let wake: (() => void) | undefined;
  let exited: string | undefined;
  client.on("message", (r: LookupClientReport) => {
    queue.push(r);
    wake?.();
  });
  client.on("exit", (code, signal) => {
    exited = `the lookup clients' process exited (${signal ?? `code ${code}`})`;
    wake?.();
  });
  return {
    async next(type) {
      for (;;) {
        const r = queue.shift();
        if (r !== undefined) {
          if (r.type !== type) throw new Error(`lookup clients: expected "${type}", got "${r.type}"`);
          return r as never;
        }
        if (exited !== undefined) throw new Error(exited);
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, POLL_MS));
}
