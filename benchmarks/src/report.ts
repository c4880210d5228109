import type { DecodeRow } from "./decode-bench.js";
import type { JoinRow } from "./join-bench.js";
import type { Plan } from "./plan.js";
import type { RowResult, Scenario, ScenarioResult } from "./scenario.js";

/** One goal of the issue, evaluated on a run (a goal, never a test assertion). */
export interface Target {
  readonly goal: string;
  readonly value: string;
  readonly met: boolean | undefined;
}

/** Everything a run produced: written as `latest.json`, rendered as text and markdown. */
export interface RunReport {
  readonly mode: Plan["mode"];
  readonly startedAt: string;
  readonly machine: Record<string, string | number>;
  /** `--pin`: where nats-server and the scenarios ran, e.g. "pinned: nats-server on core 0, ...". */
  readonly pinned?: string;
  readonly loads: readonly {
    readonly dataset: string;
    readonly messages: number;
    readonly bytes: number;
    readonly seconds: number;
  }[];
  readonly rows: readonly RowResult[];
  readonly targets: readonly Target[];
  /** The decode micro-benchmark (in process, no NATS), when it ran. */
  readonly decode?: readonly DecodeRow[];
  /** The stream-table join micro-benchmark (in process, no NATS), when it ran. */
  readonly joins?: readonly JoinRow[];
}

const JOIN_HEADER = [
  "join + group (in process)",
  "events",
  "table rows",
  "s",
  "events/s",
  "peer s",
  "vs peer",
  "state B/row",
  "bad",
];

function joinCells(j: JoinRow): string[] {
  return [
    "orders JOIN customers (lookup) GROUP BY region",
    String(j.events),
    String(j.customers),
    j.seconds.toFixed(3),
    String(Math.round(j.eventsPerSec)),
    j.peerSeconds.toFixed(3),
    `${j.ratio.toFixed(2)}x`,
    String(Math.round(j.stateBytesPerRow)),
    String(j.bad),
  ];
}

const DECODE_HEADER = ["decode (in process)", "rows", "MB", "s", "rows/s", "MB/s", "bad"];

function decodeCells(d: DecodeRow): string[] {
  return [
    d.encoding,
    String(d.rows),
    (d.bytes / 1e6).toFixed(1),
    d.seconds.toFixed(3),
    String(Math.round(d.rowsPerSec)),
    d.mbPerSec.toFixed(1),
    String(d.bad),
  ];
}

/** Adds each jetflow row's ratios to the ceiling and the peer it is compared with. */
export function withRatios(scenarios: readonly Scenario[], results: ReadonlyMap<string, RowResult>): RowResult[] {
  const rows: RowResult[] = [];
  for (const s of scenarios) {
    const r = results.get(s.id);
    if (r === undefined) continue;
    if (s.kind === "peer") {
      const ceiling = results.get(`ceiling/${s.dataset.id}`);
      rows.push({ ...r, ...ratio("vsCeiling", r, ceiling) });
    } else if ((s.kind === "jetflow" && s.group === "throughput") || s.kind === "group") {
      rows.push({ ...r, ...ratio("vsCeiling", r, results.get(s.ceiling)), ...ratio("vsPeer", r, results.get(s.peer)) });
    } else {
      rows.push(r);
    }
  }
  return rows;
}

function ratio(key: "vsCeiling" | "vsPeer", r: RowResult, base: RowResult | undefined): Partial<RowResult> {
  if (r.error !== undefined || base === undefined || base.error !== undefined || base.msgPerSec <= 0) return {};
  return { [key]: r.msgPerSec / base.msgPerSec };
}

/** The issues' targets, evaluated on the rows of a run (and its join micro-benchmark, when it ran). */
export function targetsOf(rows: readonly RowResult[], joins: readonly JoinRow[] = []): Target[] {
  const by = new Map(rows.filter((r) => r.error === undefined).map((r) => [r.id, r]));
  const out: Target[] = [];
  const atLeast = (goal: string, value: number | undefined, min: number): void => {
    out.push({
      goal,
      value: value === undefined ? "n/a" : `${value.toFixed(2)}x`,
      met: value === undefined ? undefined : value >= min,
    });
  };
  atLeast("JSON table(pk) + view >= 0.70x ceiling", by.get("jetflow-json-table")?.vsCeiling, 0.7);
  atLeast("JSON table(pk) + view >= 1.2x peer", by.get("jetflow-json-table")?.vsPeer, 1.2);
  atLeast("MSGPACK table(pk) + view >= 0.80x ceiling", by.get("jetflow-msgpack-table")?.vsCeiling, 0.8);
  atLeast("PROTOBUF table(pk) + view >= 0.80x ceiling", by.get("jetflow-protobuf-table")?.vsCeiling, 0.8);
  const plain = by.get("jetflow-json-table");
  const checkpointed = by.get("jetflow-json-table-checkpoints");
  const cost =
    plain !== undefined && checkpointed !== undefined ? 1 - checkpointed.msgPerSec / plain.msgPerSec : undefined;
  out.push({
    goal: "checkpoints every second cost <= 10% throughput",
    value: cost === undefined ? "n/a" : `${(cost * 100).toFixed(1)}%`,
    met: cost === undefined ? undefined : cost <= 0.1,
  });
  const unsunk = by.get("jetflow-json-table-sinks-baseline");
  const sunk = by.get("jetflow-json-table-sinks");
  const sinkCost = unsunk !== undefined && sunk !== undefined ? 1 - sunk.msgPerSec / unsunk.msgPerSec : undefined;
  out.push({
    goal: "a stream sink + a KV sink of the view cost <= 15% throughput",
    value: sinkCost === undefined ? "n/a" : `${(sinkCost * 100).toFixed(1)}%`,
    met: sinkCost === undefined ? undefined : sinkCost <= 0.15,
  });
  const p99 = by.get("jetflow-latency")?.latency?.p99;
  const floorP99 = by.get("latency-floor")?.latency?.p99;
  const floor = floorP99 === undefined ? "" : ` (floor: a nats.js consumer ${floorP99.toFixed(2)} ms)`;
  out.push({
    goal: "p99 publish -> view change <= 10 ms at 20k msg/s",
    value: p99 === undefined ? "n/a" : `${p99.toFixed(2)} ms${floor}`,
    met: p99 === undefined ? undefined : p99 <= 10,
  });
  const lookupP99 = by.get("serve-lookups")?.latency?.p99;
  out.push({
    goal: "p99 HTTP lookup <= 20 ms, 200 clients, while ingesting 20k msg/s",
    value: lookupP99 === undefined ? "n/a" : `${lookupP99.toFixed(2)} ms`,
    met: lookupP99 === undefined ? undefined : lookupP99 <= 20,
  });
  for (const j of joins) {
    atLeast(`stream-table join + group-by >= 1.0x peer (in process, ${j.events} events)`, j.ratio, 1.0);
  }
  const backlogs = rows.filter((r) => r.id.startsWith("jetflow-backlog-") && r.error === undefined);
  const small = backlogs[0];
  const large = backlogs[1];
  if (large !== undefined) {
    out.push({
      goal: `peak RSS draining ${large.messages} messages <= 300 MiB`,
      value: `${large.peakRssMiB.toFixed(0)} MiB`,
      met: large.peakRssMiB <= 300,
    });
  }
  if (small !== undefined && large !== undefined) {
    const growth = large.peakRssMiB / small.peakRssMiB - 1;
    out.push({
      goal: "peak RSS of the large backlog within 15% of the small one",
      value: `${(growth * 100).toFixed(1)}%`,
      met: growth <= 0.15,
    });
  }
  return out;
}

const HEADER = [
  "scenario",
  "dataset",
  "messages",
  "s",
  "msg/s",
  "MB/s",
  "CPU µs/msg",
  "main thread µs/msg",
  "busiest other thread µs/msg",
  "x ceiling",
  "x peer",
  "peak RSS MiB",
  "peak heap MiB",
  "check",
];

function cells(r: RowResult): string[] {
  if (r.error !== undefined) {
    return [r.label, r.dataset, ...HEADER.slice(2, -1).map(() => ""), `ERROR: ${r.error.split("\n")[0]}`];
  }
  return [
    r.label,
    r.dataset,
    String(r.messages),
    r.seconds.toFixed(2),
    Math.round(r.msgPerSec).toLocaleString("en-US"),
    r.mbPerSec.toFixed(1),
    r.cpuUsPerMsg === undefined ? "" : r.cpuUsPerMsg.toFixed(2),
    r.mainCpuUsPerMsg === undefined ? "" : r.mainCpuUsPerMsg.toFixed(2),
    r.otherCpuUsPerMsg === undefined ? "" : r.otherCpuUsPerMsg.toFixed(2),
    r.vsCeiling === undefined ? "" : r.vsCeiling.toFixed(2),
    r.vsPeer === undefined ? "" : r.vsPeer.toFixed(2),
    r.peakRssMiB.toFixed(0),
    r.memory === undefined ? "" : r.memory.heapUsedMiB.toFixed(0),
    r.problems.length === 0 ? "ok" : r.problems.join("; "),
  ];
}

function latencyCells(r: ScenarioResult): string[] {
  const l = r.latency;
  if (l === undefined) return [r.label, "", "", "", "", "", ""];
  return [
    r.label,
    String(l.samples),
    l.p50.toFixed(2),
    l.p90.toFixed(2),
    l.p99.toFixed(2),
    l.p999.toFixed(2),
    l.max.toFixed(2),
  ];
}

const LATENCY_HEADER = ["latency (ms)", "samples", "p50", "p90", "p99", "p99.9", "max"];

/** The report as aligned plain-text tables, for the terminal. */
export function renderText(report: RunReport): string {
  const throughputRows = report.rows.filter((r) => r.kind !== "latency");
  const latencyRows = report.rows.filter((r) => r.kind === "latency" && r.error === undefined);
  const parts = [
    `jetflow benchmarks (${report.mode}${pinnedNote(report)}), ${report.startedAt}, ${machineLine(report)}`,
    "",
    align([HEADER, ...throughputRows.map(cells)]),
    "",
    align([LATENCY_HEADER, ...latencyRows.map(latencyCells)]),
    "",
    align([["target", "value", "met"], ...report.targets.map((t) => [t.goal, t.value, metMark(t.met)])]),
    ...(report.decode === undefined ? [] : ["", align([DECODE_HEADER, ...report.decode.map(decodeCells)])]),
    ...(report.joins === undefined ? [] : ["", align([JOIN_HEADER, ...report.joins.map(joinCells)])]),
  ];
  for (const r of report.rows.filter((x) => x.kind === "latency" && x.error !== undefined)) {
    parts.push(`${r.label}: ERROR ${r.error}`);
  }
  return parts.join("\n");
}

/** The report as markdown tables (with the chart, when its file name is given). */
export function renderMarkdown(report: RunReport, chart?: string): string {
  const throughputRows = report.rows.filter((r) => r.kind !== "latency");
  const latencyRows = report.rows.filter((r) => r.kind === "latency");
  return [
    `# jetflow benchmarks (${report.mode} run${pinnedNote(report)})`,
    "",
    `${report.startedAt}; ${machineLine(report)}.`,
    "Every scenario ran in its own process against one nats-server holding the same pre-loaded streams.",
    "Ratios compare messages/s with the raw nats.js ceiling and the hand-written RxJS peer on the same dataset.",
    "",
    markdownTable(HEADER, throughputRows.map(cells)),
    "",
    markdownTable(
      LATENCY_HEADER,
      latencyRows.map((r) =>
        r.error === undefined ? latencyCells(r) : [r.label, `ERROR: ${r.error}`, "", "", "", "", ""],
      ),
    ),
    "",
    markdownTable(
      ["target", "value", "met"],
      report.targets.map((t) => [t.goal, t.value, metMark(t.met)]),
    ),
    "",
    ...(report.decode === undefined ? [] : [markdownTable(DECODE_HEADER, report.decode.map(decodeCells)), ""]),
    ...(report.joins === undefined ? [] : [markdownTable(JOIN_HEADER, report.joins.map(joinCells)), ""]),
    ...(chart === undefined ? [] : [`![messages/s per scenario](${chart})`, ""]),
  ].join("\n");
}

function pinnedNote(report: RunReport): string {
  return report.pinned === undefined ? "" : `, ${report.pinned}`;
}

function machineLine(report: RunReport): string {
  const m = report.machine;
  const load = m["loadAverageAtEnd"] === undefined ? "" : `, load average at the end ${m["loadAverageAtEnd"]}`;
  return `${m["cpus"]} x ${m["cpu"]}, ${m["memoryGiB"]} GiB, node ${m["node"]}, ${m["natsServer"]}${load}`;
}

function metMark(met: boolean | undefined): string {
  return met === undefined ? "n/a" : met ? "yes" : "NO";
}

function align(rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const esc = (c: string): string => c.replaceAll("|", "\\|");
  return [
    `| ${header.map(esc).join(" | ")} |`,
    `|${header.map(() => " --- ").join("|")}|`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}
