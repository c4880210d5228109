// Fails when a package depends on itself through others, when a package's source files import
// each other in a cycle, or when a package imports another's files other than through its
// `exports` map. Exit 1 with the problem printed.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dirs = [
  ...fs.readdirSync(path.join(root, "packages")).map((d) => path.join(root, "packages", d)),
  path.join(root, "test/harness"),
  path.join(root, "test/e2e"),
  path.join(root, "benchmarks"),
  path.join(root, "examples"),
].filter((d) => fs.existsSync(path.join(d, "package.json")));

/** Strongly connected components of size > 1 (or self loops): the cycles. */
function cycles(graph) {
  let index = 0;
  const idx = new Map(),
    low = new Map(),
    stack = [],
    on = new Set(),
    found = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

const problems = [];
const pkgGraph = new Map();
/** Per package, the subpaths its `exports` map declares besides ".". */
const exportedSubpaths = new Map(
  dirs.map((dir) => {
    const pj = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    return [pj.name, new Set(Object.keys(pj.exports ?? {}).filter((k) => k !== "."))];
  }),
);
for (const dir of dirs) {
  const pj = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const deps = Object.keys({ ...pj.dependencies, ...pj.devDependencies }).filter((d) => d.startsWith("@jetflow/"));
  pkgGraph.set(pj.name, deps);
  const files = new Map();
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.set(p, []);
    }
  };
  if (fs.existsSync(path.join(dir, "src"))) walk(path.join(dir, "src"));
  for (const [file, edges] of files) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']/g)) {
      if (/^\s*(?:import|export)\s+type\s/.test(m[0])) continue;
      const target = path.resolve(path.dirname(file), m[1].replace(/\.js$/, ".ts"));
      if (files.has(target)) edges.push(target);
    }
    for (const m of text.matchAll(/from\s+["'](@jetflow\/[^"'/]+)\/([^"']+)["']/g)) {
      // A subpath the package exports (`@jetflow/core/base`) is public surface; anything else is not.
      if (exportedSubpaths.get(m[1])?.has(`./${m[2]}`)) continue;
      problems.push(`${path.relative(root, file)} imports another package's internals: ${m[1]}/...`);
    }
  }
  for (const c of cycles(files)) problems.push(`import cycle: ${c.map((f) => path.relative(root, f)).join(" -> ")}`);
}
for (const c of cycles(pkgGraph)) problems.push(`package cycle: ${c.join(" -> ")}`);
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`no cycles (${dirs.length} packages)`);
