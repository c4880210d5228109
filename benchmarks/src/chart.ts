import type { RunReport } from "./report.js";

const COLORS: Record<string, string> = { ceiling: "#9e9e9e", peer: "#f4a261", jetflow: "#2a9d8f" };
const ROW = 22;
const BAR = 420;
/** Average width of a character of 11px sans-serif, generous so labels never run off the left edge. */
const CHAR_PX = 6.4;

/**
 * A horizontal bar chart (SVG, no dependencies) of messages/s per throughput scenario, grouped
 * by dataset: ceiling grey, peer orange, jetflow teal.
 */
export function renderChart(report: RunReport): string {
  const rows = report.rows.filter(
    (r) =>
      r.error === undefined &&
      (r.kind === "ceiling" || r.kind === "peer" || (r.kind === "jetflow" && r.vsCeiling !== undefined)),
  );
  const max = Math.max(1, ...rows.map((r) => r.msgPerSec));
  const labelOf = (r: (typeof rows)[number]): string => `${r.label} — ${r.dataset}`;
  const LABEL = Math.ceil(Math.max(200, ...rows.map((r) => labelOf(r).length * CHAR_PX))) + 16;
  const height = 40 + rows.length * ROW + 20;
  const width = LABEL + BAR + 150;
  const esc = (s: string): string => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  const bars = rows.map((r, i) => {
    const y = 40 + i * ROW;
    const w = Math.max(1, Math.round((r.msgPerSec / max) * BAR));
    const label = labelOf(r);
    const ratio = r.vsCeiling === undefined ? "" : ` (${r.vsCeiling.toFixed(2)}x ceiling)`;
    return [
      `<text x="${LABEL - 8}" y="${y + 14}" text-anchor="end">${esc(label)}</text>`,
      `<rect x="${LABEL}" y="${y + 3}" width="${w}" height="${ROW - 6}" fill="${COLORS[r.kind] ?? "#264653"}"/>`,
      `<text x="${LABEL + w + 6}" y="${y + 14}">${Math.round(r.msgPerSec).toLocaleString("en-US")}${ratio}</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${esc(`jetflow benchmarks: messages/s (${report.mode} run, ${report.startedAt})`)}</text>`,
    ...bars,
    "</svg>",
    "",
  ].join("\n");
}
