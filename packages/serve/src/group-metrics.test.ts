import { describe, expect, it } from "vitest";
import { labelledText } from "./group-metrics.js";

describe("labelledText", () => {
  it("labels every sample with its part's label and keeps one HELP and TYPE per family, in first-seen order", () => {
    const a = '# HELP m_total M\n# TYPE m_total counter\nm_total{relation="t"} 3\n# HELP g G\n# TYPE g gauge\ng 1\n';
    const b = '# HELP m_total M\n# TYPE m_total counter\nm_total{relation="t"} 4\nm_total{relation="u"} 5\n';
    expect(
      labelledText([
        { label: 'partition="0"', text: a },
        { label: 'partition="1"', text: b },
      ]),
    ).toBe(
      [
        "# HELP m_total M",
        "# TYPE m_total counter",
        'm_total{partition="0",relation="t"} 3',
        'm_total{partition="1",relation="t"} 4',
        'm_total{partition="1",relation="u"} 5',
        "# HELP g G",
        "# TYPE g gauge",
        'g{partition="0"} 1',
        "",
      ].join("\n"),
    );
    expect(labelledText([])).toBe("");
  });
});
