import fs from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that CI reads. Under
 * `scripts/test-matrix.mjs` (one run per nats-server) it writes the counts to
 * `JETFLOW_TEST_SUMMARY` instead and labels its line with the server, so the matrix prints the one
 * `tests:` line, summed over the runs.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = errors.length;
    let skipped = 0;
    for (const m of modules) {
      if (m.state() === "failed" && [...m.children.allTests()].length === 0) failed++;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    const counts = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    const out = process.env["JETFLOW_TEST_SUMMARY"];
    if (out !== undefined) fs.writeFileSync(out, JSON.stringify({ passed, failed, skipped }));
    const label = out === undefined ? "tests" : `tests on nats-server ${process.env["JETFLOW_TEST_SERVER_VERSION"]}`;
    // Printed at exit so it is the last line, after the default reporter's summary.
    process.once("exit", () => console.log(`\n${label}: ${counts}`));
  }
}
