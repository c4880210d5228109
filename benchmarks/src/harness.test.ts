import { NatsServer } from "@jetflow/test-harness";
import { unpack } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCeiling } from "./ceiling.js";
import { type DatasetSpec, Encoder, eventAt, type Expected, loadProto } from "./dataset.js";
import { createEmptyStream, loadDataset } from "./loader.js";
import { runPeer } from "./peer.js";
import { planFor } from "./plan.js";
import { publishSteady } from "./publisher.js";
import { renderMarkdown, type RunReport, targetsOf, withRatios } from "./report.js";
import { latencyOf, type RowResult, type Scenario, type ScenarioResult } from "./scenario.js";
import { runScenario } from "./scenario-runner.js";

const tiny = (encoding: DatasetSpec["encoding"], payloadBytes = 100): DatasetSpec => ({
  id: `test-${encoding}-${payloadBytes}`,
  encoding,
  messages: 600,
  keys: 50,
  groups: 7,
  payloadBytes,
});

describe("datasets", () => {
  it("encodes the same events in every format, padded to about the target size", () => {
    const json = new Encoder(tiny("json"));
    const large = new Encoder(tiny("json", 1000));
    const event = eventAt(tiny("json"), 42, 1_712_345_678_901.5);
    expect(JSON.parse(Buffer.from(json.encode({ ...event })).toString())).toEqual({
      ...event,
      pad: expect.any(String),
    });
    expect(Math.abs(json.encode({ ...event }).length - 100)).toBeLessThan(15);
    expect(Math.abs(large.encode({ ...event }).length - 1000)).toBeLessThan(15);
    const packed = unpack(new Encoder(tiny("msgpack")).encode({ ...event })) as typeof event;
    expect({ ...packed, pad: "" }).toEqual(event);
    const decoded = loadProto().toObject(loadProto().decode(new Encoder(tiny("protobuf")).encode({ ...event })), {
      longs: Number,
      defaults: true,
    });
    expect({ ...decoded, pad: "" }).toEqual(event);
  });

  it("keeps ids within the key space and visits every key", () => {
    const d = tiny("json");
    const ids = new Set(Array.from({ length: d.messages }, (_, i) => eventAt(d, i, 0).id));
    expect(ids.size).toBe(d.keys);
    expect(Math.max(...ids)).toBe(d.keys - 1);
  });
});

describe("percentiles", () => {
  it("takes nearest-rank percentiles", () => {
    const l = latencyOf(Float64Array.from({ length: 1000 }, (_, i) => 1000 - i));
    expect(l).toEqual({ samples: 1000, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000 });
  });
});

describe("against a real nats-server", () => {
  let server: NatsServer;
  const loaded = new Map<string, Expected>();
  const datasets = [tiny("json"), tiny("msgpack"), tiny("protobuf")];

  beforeAll(async () => {
    server = await NatsServer.start();
    for (const d of datasets) loaded.set(d.id, (await loadDataset(server.url, d)).expected);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("loads every message before timing starts", () => {
    for (const d of datasets) {
      const expected = loaded.get(d.id) as Expected;
      expect(expected.messages).toBe(d.messages);
      expect(expected.table.count).toBe(d.keys);
      expect(expected.table.groups).toBe(d.groups);
      expect(expected.filtered.count).toBeGreaterThan(0);
      expect(expected.filtered.count).toBeLessThan(d.messages);
    }
  });

  it.each(datasets)("ceiling and peer consume every message of $id and agree with the data", async (d) => {
    const expected = loaded.get(d.id) as Expected;
    const ceiling = await runCeiling({ kind: "ceiling", id: "c", label: "c", dataset: d }, server.url, expected);
    wellFormed(ceiling, expected);
    for (const shape of ["table", "source-filter"] as const) {
      const peer = await runPeer({ kind: "peer", id: "p", label: "p", dataset: d, shape }, server.url, expected);
      wellFormed(peer, expected);
      expect(peer.view).toEqual(shape === "table" ? expected.table : expected.filtered);
    }
  });

  it("reports a mismatch when the data is not what was expected", async () => {
    const d = datasets[0] as DatasetSpec;
    const wrong = { ...(loaded.get(d.id) as Expected), messages: d.messages + 1 };
    const peer = await runPeer({ kind: "peer", id: "p", label: "p", dataset: d, shape: "table" }, server.url, wrong);
    expect(peer.problems).toContain(`consumed ${d.messages} messages, expected ${d.messages + 1}`);
  });

  it.each(datasets)("jetflow's table + group-by view over $id matches the data", async (d) => {
    const expected = loaded.get(d.id) as Expected;
    for (const [shape, checkpoints] of [
      ["table", false],
      ["table", true],
      ["source-filter", false],
    ] as const) {
      const scenario: Scenario = {
        kind: "jetflow",
        id: "j",
        label: "j",
        dataset: d,
        shape,
        checkpoints,
        group: "throughput",
        ceiling: "c",
        peer: "p",
      };
      const result = await runScenario({ scenario, url: server.url, expected });
      wellFormed(result, expected);
      expect(result.view).toEqual(shape === "table" ? expected.table : expected.filtered);
    }
  });

  /** Runs a live scenario on an empty stream, publishing at its rate once it is ready. */
  async function runLive(scenario: Extract<Scenario, { kind: "latency" }>): Promise<ScenarioResult> {
    await createEmptyStream(server.url, scenario.dataset);
    let published: Promise<number> | undefined;
    const result = await runScenario({ scenario, url: server.url, expected: undefined }, () => {
      published = publishSteady(server.url, scenario.dataset, scenario.rate);
    });
    await published;
    return result;
  }

  it("measures jetflow's publish -> view latency of every published row", async () => {
    // Every id distinct: the upsert folds repeats of an id within a batch into one row.
    const d: DatasetSpec = { ...tiny("json"), id: "test-latency", messages: 400, keys: 400 };
    const scenario: Scenario = { kind: "latency", id: "l", label: "l", dataset: d, rate: 4000, warmup: 100 };
    const result = await runLive(scenario);
    expect(result.problems).toEqual([]);
    expect(result.messages).toBe(d.messages);
    expect(result.latency?.samples).toBe(d.messages - scenario.warmup);
    expect(result.latency?.p50).toBeGreaterThan(0);
    expect(result.latency?.p99).toBeGreaterThanOrEqual(result.latency?.p50 ?? Number.NaN);
  });

  it("measures the latency floor: a plain consumer's publish -> delivery latency of every message", async () => {
    const d: DatasetSpec = { ...tiny("json"), id: "test-latency-floor", messages: 400, keys: 400 };
    const scenario: Scenario = {
      kind: "latency",
      id: "f",
      label: "f",
      dataset: d,
      rate: 4000,
      warmup: 100,
      floor: true,
    };
    const result = await runLive(scenario);
    expect(result.problems).toEqual([]);
    expect({ messages: result.messages, bytes: result.bytes > 0 }).toEqual({ messages: d.messages, bytes: true });
    expect(result.latency?.samples).toBe(d.messages - scenario.warmup);
    expect(result.latency?.p50).toBeGreaterThan(0);
    expect(result.latency?.max).toBeGreaterThanOrEqual(result.latency?.p99 ?? Number.NaN);
  });

  it("measures HTTP lookups in bursts while every published message is ingested", async () => {
    const d: DatasetSpec = { ...tiny("json"), id: "test-serve-lookups", messages: 2000, keys: 400 };
    const result = await runLive({
      kind: "latency",
      id: "s",
      label: "s",
      dataset: d,
      rate: 4000,
      warmup: 100,
      lookups: 20,
    });
    expect(result.problems).toEqual([]);
    expect(result.messages).toBe(d.messages);
    expect(result.latency?.samples).toBeGreaterThan(0);
  });
});

describe("report", () => {
  it("puts every scenario of the quick plan in the tables, with ratios against its baselines", () => {
    const plan = planFor("quick");
    const results = new Map<string, RowResult>();
    for (const [i, s] of plan.scenarios.entries()) {
      results.set(s.id, {
        id: s.id,
        label: s.label,
        kind: s.kind,
        dataset: s.dataset.id,
        messages: s.dataset.messages,
        bytes: s.dataset.messages * 100,
        seconds: 1,
        msgPerSec: s.kind === "ceiling" ? 1000 : 500 + i,
        mbPerSec: 0.1,
        peakRssMiB: 100,
        problems: [],
        ...(s.kind === "latency" ? { latency: latencyOf(Float64Array.of(1, 2, 3)) } : {}),
      });
    }
    const rows = withRatios(plan.scenarios, results);
    expect(rows.map((r) => r.id)).toEqual(plan.scenarios.map((s) => s.id));
    const json = rows.find((r) => r.id === "jetflow-json-table");
    expect(json?.vsCeiling).toBeCloseTo((json?.msgPerSec ?? 0) / 1000);
    expect(json?.vsPeer).toBeGreaterThan(0);
    const report: RunReport = {
      mode: "quick",
      startedAt: "now",
      machine: {},
      loads: [],
      rows,
      targets: targetsOf(rows),
    };
    expect(report.targets.every((t) => t.met !== undefined)).toBe(true);
    const markdown = renderMarkdown(report);
    for (const s of plan.scenarios) expect(markdown).toContain(s.label);
  });
});

/** Counts match the loaded data and the numbers are finite and positive. */
function wellFormed(result: ScenarioResult, expected: Expected): void {
  expect(result.problems).toEqual([]);
  expect(result.messages).toBe(expected.messages);
  expect(result.bytes).toBe(expected.bytes);
  expect(result.seconds).toBeGreaterThan(0);
  expect(Number.isFinite(result.msgPerSec)).toBe(true);
  expect(result.mbPerSec).toBeGreaterThan(0);
  expect(result.peakRssMiB).toBeGreaterThan(0);
}
