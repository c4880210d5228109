import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { harnessServerVersion, NatsServer, natsServerBinary, versionAtLeast } from "@jetflow/test-harness";
import { renderChart } from "./chart.js";
import { runInChild } from "./child.js";
import type { Expected } from "./dataset.js";
import { createEmptyStream, type LoadReport, loadDataset } from "./loader.js";
import { type BenchOptions, resolveBenchOptions } from "./options.js";
import { checkPinnable, describePinning, PINNING, pinnedBinary } from "./pin.js";
import { planFor } from "./plan.js";
import { publishSteady } from "./publisher.js";
import { renderMarkdown, renderText, type RunReport, targetsOf, withRatios } from "./report.js";
import type { RowResult, Scenario } from "./scenario.js";
import type { DecodeRow } from "./decode-bench.js";
import type { JoinRow } from "./join-bench.js";

const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));

/**
 * `pnpm bench`: one nats-server, every dataset pre-loaded once, every scenario in its own child
 * process against the same data; prints the table and writes `results/latest.{json,md}`
 * and a chart `latest.svg` (`quick.*` for `--quick`, `partial.*` with `--only`). Exits non-zero when a scenario failed or
 * its results did not match the data, so the quick mode catches a broken harness.
 */
async function main(options: BenchOptions): Promise<number> {
  const plan = planFor(options.mode);
  // Groups need nats-server 2.11+ (leases with per-message TTL): on an older one, say so and skip them.
  const groups = versionAtLeast(harnessServerVersion(), 2, 11);
  if (!groups) log("group scenarios skipped: they need nats-server 2.11+ (set JETFLOW_NATS_SERVER)");
  // A stream that partitions its own subjects (subject_transform) needs 2.10+.
  const transforms = versionAtLeast(harnessServerVersion(), 2, 10);
  if (!transforms) log("partitioned-stream scenarios skipped: they need nats-server 2.10+ (set JETFLOW_NATS_SERVER)");
  const scenarios = plan.scenarios.filter(
    (s) =>
      (options.only?.test(s.id) ?? true) &&
      (groups || s.kind !== "group") &&
      (transforms || s.dataset.partitions === undefined),
  );
  if (scenarios.length === 0 && options.only?.test("decode") !== true && options.only?.test("join") !== true) {
    throw new Error(`--only ${options.only?.source} matches no scenario`);
  }
  const out = options.out ?? RESULTS;
  if (options.pin) checkPinnable(PINNING);
  const startedAt = new Date().toISOString();
  const launcherDir = options.pin ? fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-bench-pin-")) : undefined;
  // The launcher is only read when the server starts (the bench never restarts it).
  const server = await NatsServer.start(
    launcherDir === undefined ? {} : { binary: pinnedBinary(natsServerBinary(), PINNING.serverCore, launcherDir) },
  ).finally(() => {
    if (launcherDir !== undefined) fs.rmSync(launcherDir, { recursive: true, force: true });
  });
  try {
    const loads = new Map<string, LoadReport>();
    for (const d of plan.datasets.filter((d) => scenarios.some((s) => s.kind !== "latency" && s.dataset.id === d.id))) {
      log(`loading ${d.id} ...`);
      const load = await loadDataset(server.url, d);
      loads.set(d.id, load);
      log(`  ${d.messages} messages, ${(load.expected.bytes / 1e6).toFixed(1)} MB in ${load.seconds.toFixed(1)} s`);
    }
    const best = new Map<string, RowResult>();
    for (let round = 1; round <= options.repeat; round++) {
      for (const s of scenarios) {
        log(`${options.repeat > 1 ? `[${round}/${options.repeat}] ` : ""}${s.id} ...`);
        const row = await runOne(s, server.url, loads.get(s.dataset.id)?.expected, options, out);
        log(`  ${summary(row)}`);
        const previous = best.get(s.id);
        if (previous === undefined || better(row, previous)) best.set(s.id, row);
      }
    }
    const rows = withRatios(scenarios, best);
    const decode = options.only === undefined || options.only.test("decode") ? await decodeBench(plan.mode) : undefined;
    const joins = options.only === undefined || options.only.test("join") ? await joinBench(plan.mode) : undefined;
    const report: RunReport = {
      mode: plan.mode,
      startedAt,
      machine: machine(),
      ...(options.pin ? { pinned: describePinning(PINNING) } : {}),
      loads: [...loads.values()].map((l) => ({
        dataset: l.dataset.id,
        messages: l.expected.messages,
        bytes: l.expected.bytes,
        seconds: l.seconds,
      })),
      rows,
      targets: targetsOf(rows, joins),
      ...(decode === undefined ? {} : { decode }),
      ...(joins === undefined ? {} : { joins }),
    };
    const stem = options.only !== undefined ? "partial" : plan.mode === "quick" ? "quick" : "latest";
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `${stem}.json`), `${JSON.stringify(report, null, 2)}\n`);
    fs.writeFileSync(path.join(out, `${stem}.md`), renderMarkdown(report, `${stem}.svg`));
    fs.writeFileSync(path.join(out, `${stem}.svg`), renderChart(report));
    console.log(renderText(report));
    console.log(`\nwritten: ${path.join(out, `${stem}.json`)}, ${path.join(out, `${stem}.md`)}`);
    const failed =
      rows.some((r) => r.error !== undefined || r.problems.length > 0) ||
      (decode ?? []).some((d) => d.bad > 0) ||
      (joins ?? []).some((j) => j.bad > 0);
    return failed ? 1 : 0;
  } finally {
    await server.dispose();
  }
}

/** The stream-table join micro-benchmark, in this process (it needs no server). */
async function joinBench(mode: string): Promise<JoinRow[]> {
  log("join micro-benchmark ...");
  const { runJoinBench } = await import("./join-bench.js");
  return [mode === "quick" ? runJoinBench(20_000, 2_000) : runJoinBench(1_000_000, 100_000)];
}

/** The decode micro-benchmark, in this process (it needs no server). */
async function decodeBench(mode: string): Promise<DecodeRow[]> {
  log("decode micro-benchmark ...");
  const { runDecodeBench } = await import("./decode-bench.js");
  return runDecodeBench(mode === "quick" ? 8_192 : 400_000);
}

async function runOne(
  s: Scenario,
  url: string,
  expected: Expected | undefined,
  options: BenchOptions,
  out: string,
): Promise<RowResult> {
  const timeoutMs = options.mode === "quick" ? 60_000 : 20 * 60_000;
  const cpuProfDir = options.cpuProf ? path.join(out, "profiles") : undefined;
  try {
    if (s.kind === "latency") await createEmptyStream(url, s.dataset);
    flushDiskWrites();
    return await runInChild(
      { scenario: s, url, expected },
      {
        timeoutMs,
        ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
        ...(options.pin ? { core: PINNING.scenarioCore } : {}),
        ...(s.kind === "latency" ? { onReady: () => publishSteady(url, s.dataset, s.rate) } : {}),
      },
    );
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    return {
      id: s.id,
      label: s.label,
      kind: s.kind,
      dataset: s.dataset.id,
      messages: 0,
      bytes: 0,
      seconds: 0,
      msgPerSec: 0,
      mbPerSec: 0,
      peakRssMiB: 0,
      problems: [],
      error,
    };
  }
}

/** Which of two runs of one scenario to keep: a clean one, then the lower p99 or the higher rate. */
function better(a: RowResult, b: RowResult): boolean {
  const clean = (r: RowResult): boolean => r.error === undefined && r.problems.length === 0;
  if (clean(a) !== clean(b)) return clean(a);
  if (a.latency !== undefined && b.latency !== undefined) return a.latency.p99 < b.latency.p99;
  return a.msgPerSec > b.msgPerSec;
}

function summary(r: RowResult): string {
  if (r.error !== undefined) return `ERROR ${r.error}`;
  const latency =
    r.latency === undefined ? "" : `, p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms`;
  const problems = r.problems.length === 0 ? "" : `, PROBLEMS: ${r.problems.join("; ")}`;
  return `${Math.round(r.msgPerSec)} msg/s, ${r.mbPerSec.toFixed(1)} MB/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB${latency}${problems}`;
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  const natsServer = execFileSync(natsServerBinary(), ["--version"], { encoding: "utf8" }).trim();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    // Not a git checkout: the results still stand.
  }
  return {
    cpus: cpus.length,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    natsServer,
    platform: `${os.platform()} ${os.release()}`,
    // Other work on the machine skews absolute numbers; the load average says how much there was.
    loadAverageAtEnd: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
    commit,
  };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

main(resolveBenchOptions(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  },
);

/**
 * Writes what the page cache holds back to disk before a scenario: the datasets just loaded
 * (~150 MB of stream files) and what earlier scenarios wrote stay dirty for a while, and the first
 * scenario to fsync (a filesystem checkpoint) would otherwise pay for flushing them all, or
 * whichever scenario the kernel's own writeback lands in.
 */
function flushDiskWrites(): void {
  if (process.platform === "win32") return;
  try {
    execFileSync("sync", { stdio: "ignore" });
  } catch {
    // No sync command: the scenario runs as it would have.
  }
}
