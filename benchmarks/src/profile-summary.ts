import fs from "node:fs";

/** The parts of a V8 `.cpuprofile` (written by `node --cpu-prof`) that a summary needs. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where the time of a profile went. */
export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time per function (`name file:line`), largest first. */
  readonly functions: readonly { readonly name: string; readonly ms: number; readonly share: number }[];
  /** Self time per package or area (jetflow packages, node_modules packages, node internals, GC, idle). */
  readonly areas: readonly { readonly name: string; readonly ms: number; readonly share: number }[];
}

/** Sums a profile's samples by function and by area (self time). */
export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    totalMs += ms;
    const file = frame.url.replace(/^file:\/\//, "");
    const name = `${frame.functionName || "(anonymous)"} ${shortFile(file)}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const area = areaOf(frame.functionName, file);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  }
  const ranked = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, ms, share: ms / totalMs }));
  return { totalMs, functions: ranked(functions, top), areas: ranked(areas, 30) };
}

function shortFile(file: string): string {
  const pnpm = file.lastIndexOf("/node_modules/");
  if (pnpm >= 0) return file.slice(pnpm + "/node_modules/".length);
  const packages = file.indexOf("/packages/");
  if (packages >= 0) return file.slice(packages + 1);
  return file.slice(file.lastIndexOf("/") + 1) || "(native)";
}

function areaOf(functionName: string, file: string): string {
  if (file === "") return functionName.startsWith("(") ? functionName : "(native/builtin)";
  if (file.startsWith("node:")) return "node internals";
  const nm = file.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = file.slice(nm + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? file);
  }
  const pkg = /\/(packages|benchmarks|test)\/([^/]+)\//.exec(file);
  if (pkg !== null) return pkg[1] === "packages" ? `@jetflow/${pkg[2]}` : `${pkg[1]}`;
  return file;
}

/** `node benchmarks/dist/profile-summary.js FILE.cpuprofile [TOP]`: prints where the time went. */
function main(argv: readonly string[]): void {
  const [file, top] = argv;
  if (file === undefined) throw new Error("usage: node benchmarks/dist/profile-summary.js FILE.cpuprofile [TOP]");
  const summary = summarizeProfile(JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile, Number(top ?? 25));
  const line = (x: { name: string; ms: number; share: number }): string =>
    `${(x.share * 100).toFixed(1).padStart(5)}%  ${x.ms.toFixed(0).padStart(7)} ms  ${x.name}`;
  console.log(`total ${summary.totalMs.toFixed(0)} ms\n\nself time by area:`);
  for (const a of summary.areas) console.log(line(a));
  console.log("\nself time by function:");
  for (const f of summary.functions) console.log(line(f));
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"))) {
  main(process.argv.slice(2));
}
