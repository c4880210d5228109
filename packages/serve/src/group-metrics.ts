import type { GroupPipeline } from "@jetflow/group";

/**
 * The Prometheus text of a group member (`/metrics` of {@link serveGroup}): the member's own
 * series (`GroupPipeline.metrics`: partitions owned, rebalances, commits, refused commits, lag per
 * partition), then the series of every partition pipeline it runs, each sample labelled with its
 * `partition` (the same `jetflow_` names as one pipeline's, one HELP/TYPE per family).
 */
export function groupMetricsText(g: GroupPipeline): string {
  const parts = [...g.partitionPipelines()].map(([p, pl]) => ({
    label: `partition="${p}"`,
    text: pl.metrics.render(),
  }));
  return g.metrics.render() + labelledText(parts);
}

/**
 * Prometheus texts merged into one, every sample given its text's label: families keep their
 * first HELP and TYPE and the order they first appear in.
 *
 * @example
 * ```ts
 * labelledText([{ label: 'partition="0"', text: "# TYPE a counter\na 1\n" }]); // '# TYPE a counter\na{partition="0"} 1\n'
 * ```
 */
export function labelledText(parts: readonly { readonly label: string; readonly text: string }[]): string {
  const families = new Map<string, string[]>();
  const family = (name: string): string[] => {
    let lines = families.get(name);
    if (lines === undefined) {
      lines = [];
      families.set(name, lines);
    }
    return lines;
  };
  const described = new Set<string>();
  for (const { label, text } of parts) {
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const comment = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (comment !== null) {
        const key = `${comment[1]} ${comment[2]}`;
        if (!described.has(key)) family(comment[2] as string).push(line);
        described.add(key);
        continue;
      }
      const sample = /^([^{\s]+)(?:\{(.*)\})? (.*)$/.exec(line);
      if (sample === null) continue;
      const [, name, labels, value] = sample as unknown as [string, string, string | undefined, string];
      family(name).push(`${name}{${labels === undefined || labels === "" ? label : `${label},${labels}`}} ${value}`);
    }
  }
  const out = [...families.values()].flat();
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}
