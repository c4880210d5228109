import fs from "node:fs";
import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that CI reads. Under
 * `scripts/test-matrix.mjs` (one run per nats-server) it writes the counts to
 * `JETFLOW_TEST_SUMMARY` instead and labels its line with the server, so the matrix prints the one
 * `tests:` line, summed over the runs. A test that failed and then passed on its retry (`retry` in
 * vitest.config.ts) counts as passed and is named on a `flaky (passed on retry):` line, so a
 * timing problem shows in every log instead of failing an unrelated run once in a while.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = errors.length;
    let skipped = 0;
    const flaky: string[] = [];
    for (const m of modules) {
      if (m.state() === "failed" && [...m.children.allTests()].length === 0) failed++;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") {
          passed++;
          if (t.diagnostic()?.flaky === true) flaky.push(`${path.relative(process.cwd(), m.moduleId)} > ${t.fullName}`);
        } else if (state === "failed") failed++;
        else skipped++;
      }
    }
    const counts = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    const out = process.env["JETFLOW_TEST_SUMMARY"];
    if (out !== undefined) fs.writeFileSync(out, JSON.stringify({ passed, failed, skipped, flaky }));
    const label = out === undefined ? "tests" : `tests on nats-server ${process.env["JETFLOW_TEST_SERVER_VERSION"]}`;
    // Printed at exit so it is the last line, after the default reporter's summary.
    process.once("exit", () => {
      for (const name of flaky) console.log(`flaky (passed on retry): ${name}`);
      console.log(`\n${label}: ${counts}`);
    });
  }
}
