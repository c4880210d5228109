// Runs the test suite once per installed nats-server (Debian's 2.9 and the current release that
// scripts/setup.sh puts under .tools/), one after the other, and ends with ONE closing line,
// `tests: N passed, N failed, N skipped`, summed over the runs (CI greps it). Arguments go to
// vitest (`pnpm test --project sql`). JETFLOW_NATS_SERVER=/path runs against that server only.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { installedServers } from "../test/harness/dist/index.js";

const VITEST = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
const servers = process.env.JETFLOW_NATS_SERVER === undefined ? installedServers() : installedServers().slice(0, 1);
if (servers.length === 0) {
  console.error("test-matrix: no nats-server installed: run ./scripts/setup.sh");
  process.exit(1);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-test-matrix-"));
const total = { passed: 0, failed: 0, skipped: 0 };
const runs = [];
const flaky = [];
for (const [i, { binary, version }] of servers.entries()) {
  console.log(`\n=== tests on nats-server ${version.text} (${binary}) ===\n`);
  const summary = path.join(dir, `${i}.json`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [VITEST, "run", ...process.argv.slice(2)], {
    stdio: "inherit",
    env: {
      ...process.env,
      JETFLOW_NATS_SERVER: binary,
      JETFLOW_TEST_SERVER_VERSION: version.text,
      JETFLOW_TEST_SUMMARY: summary,
    },
  });
  const counts = fs.existsSync(summary)
    ? JSON.parse(fs.readFileSync(summary, "utf8"))
    : { passed: 0, failed: 1, skipped: 0 }; // vitest died before reporting: count the run as failed
  if (run.status !== 0 && counts.failed === 0) counts.failed = 1;
  for (const k of Object.keys(total)) total[k] += counts[k];
  for (const name of counts.flaky ?? []) flaky.push(`${version.text}: ${name}`);
  runs.push(
    `nats-server ${version.text}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`\n${runs.join("\n")}`);
for (const name of flaky) console.log(`flaky (passed on retry) on ${name}`);
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed === 0 ? 0 : 1);
