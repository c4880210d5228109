import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveBenchOptions } from "./options.js";
import { checkPinnable, describePinning, PINNING, pinnedBinary } from "./pin.js";
import { renderMarkdown } from "./report.js";

const pinnable = ((): boolean => {
  try {
    checkPinnable();
    return true;
  } catch {
    return false;
  }
})();

describe("--pin", () => {
  it("is off unless asked for, and the report's header says when it was on", () => {
    expect(resolveBenchOptions([]).pin).toBe(false);
    expect(resolveBenchOptions(["--pin", "--only", "x"]).pin).toBe(true);
    const report = { mode: "full" as const, startedAt: "now", machine: {}, loads: [], rows: [], targets: [] };
    expect(renderMarkdown(report).split("\n")[0]).toBe("# jetflow benchmarks (full run)");
    expect(renderMarkdown({ ...report, pinned: describePinning(PINNING) }).split("\n")[0]).toBe(
      "# jetflow benchmarks (full run, pinned: nats-server on core 0, each scenario's process on core 1)",
    );
  });

  it.runIf(pinnable)("refuses in one line when a core is not there to pin to", () => {
    expect(() => checkPinnable({ serverCore: 0, scenarioCore: 4095 })).toThrow(
      /^--pin: `taskset -c 4095` failed[^\n]*$/,
    );
  });

  it.runIf(pinnable)("runs the wrapped binary on the server's core, with its arguments", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-pin-test-"));
    try {
      const launcher = pinnedBinary("/bin/sh", PINNING.serverCore, dir);
      const status = execFileSync(launcher, ["-c", "grep Cpus_allowed_list /proc/self/status"], { encoding: "utf8" });
      expect(status.trim()).toMatch(new RegExp(`\\s${PINNING.serverCore}$`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
