import { describe, expect, it } from "vitest";
import { Metrics, relationLabel } from "./metrics.js";

describe("Metrics", () => {
  it("renders counters and gauges in Prometheus text format", () => {
    const m = new Metrics();
    const messages = m.counter("jetflow_messages_in_total", "Messages received");
    const lag = m.gauge("jetflow_consumer_lag", "Lag");
    messages(relationLabel("a"), 2);
    messages(relationLabel("a"), 3);
    messages(relationLabel("b"), 1);
    lag(relationLabel("a"), 7);
    lag(relationLabel("a"), 4);
    expect(m.render()).toBe(
      [
        "# HELP jetflow_messages_in_total Messages received",
        "# TYPE jetflow_messages_in_total counter",
        'jetflow_messages_in_total{relation="a"} 5',
        'jetflow_messages_in_total{relation="b"} 1',
        "# HELP jetflow_consumer_lag Lag",
        "# TYPE jetflow_consumer_lag gauge",
        'jetflow_consumer_lag{relation="a"} 4',
        "",
      ].join("\n"),
    );
    expect(m.total("jetflow_messages_in_total")).toBe(6);
    expect(m.value("jetflow_consumer_lag", relationLabel("a"))).toBe(4);
  });

  it("escapes label values", () => {
    expect(relationLabel('we"ird\\name')).toBe('relation="we\\"ird\\\\name"');
  });
});

describe("Metrics collectors", () => {
  it("refresh gauges whenever metrics are read", () => {
    const m = new Metrics();
    const lag = m.gauge("jetflow_consumer_lag", "Lag");
    let current = 5;
    m.onCollect(() => lag(relationLabel("a"), current));
    expect(m.render()).toContain('jetflow_consumer_lag{relation="a"} 5');
    current = 2;
    expect(m.value("jetflow_consumer_lag", relationLabel("a"))).toBe(2);
    expect(m.total("jetflow_consumer_lag")).toBe(2);
  });
});

describe("observed counters", () => {
  it("are typed counter and take the total as read", () => {
    const m = new Metrics();
    const nulls = m.observedCounter("jetflow_expression_nulls_total", "NULLs");
    nulls(relationLabel("v"), 3);
    nulls(relationLabel("v"), 4);
    expect(m.render()).toContain(
      '# TYPE jetflow_expression_nulls_total counter\njetflow_expression_nulls_total{relation="v"} 4\n',
    );
  });
});
