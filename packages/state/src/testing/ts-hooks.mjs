// Module hooks for ts-loader.mjs: `./x.js` imported from a .ts file resolves to `./x.ts`, and .ts
// files are transpiled (types stripped) with the workspace's TypeScript. Transpiled files are cached
// in the temp directory by path, size and mtime, so repeated child starts skip loading TypeScript.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const cacheDir = path.join(os.tmpdir(), "jetflow-ts-loader-cache");
let ts;

export async function resolve(specifier, context, next) {
  if (specifier.startsWith(".") && specifier.endsWith(".js") && context.parentURL?.endsWith(".ts")) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith(".ts")) return next(url, context);
  const file = fileURLToPath(url);
  const st = statSync(file);
  const key = createHash("sha1").update(`${file}\0${st.size}\0${st.mtimeMs}`).digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
  if (existsSync(cached)) return { format: "module", source: readFileSync(cached, "utf8"), shortCircuit: true };
  ts ??= (await import("typescript")).default;
  const out = ts.transpileModule(readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  writeFileSync(tmp, out.outputText);
  renameSync(tmp, cached);
  return { format: "module", source: out.outputText, shortCircuit: true };
}
