import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * `--pin`: nats-server on one core, every scenario process on the other, so a ratio reflects a
 * client that does not share its core with the server (unpinned, the ceiling already keeps ~1.8
 * of 2 cores busy, and the scheduler mixes both processes over both cores).
 */
export interface Pinning {
  /** The core nats-server runs on (`taskset -c`). */
  readonly serverCore: number;
  /** The core every scenario's process runs on (and what it forks, e.g. the lookup clients). */
  readonly scenarioCore: number;
}

/** The only layout `--pin` offers: the harness's two cores, one each. */
export const PINNING: Pinning = { serverCore: 0, scenarioCore: 1 };

/** Throws a one-line error unless `taskset` runs and the pinning's cores are there to pin to. */
export function checkPinnable(pinning: Pinning = PINNING): void {
  const cores = os.availableParallelism();
  if (cores < 2) throw new Error(`--pin needs at least 2 cores; this process may use ${cores}`);
  // One core at a time: a list of cores is accepted as long as any one of them is usable.
  for (const core of [pinning.serverCore, pinning.scenarioCore]) {
    try {
      execFileSync("taskset", ["-c", String(core), "true"], { stdio: "ignore" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error("--pin needs `taskset` (util-linux) on PATH; it is not there");
      }
      throw new Error(`--pin: \`taskset -c ${core}\` failed, so core ${core} cannot be pinned to here`);
    }
  }
}

/**
 * A launcher for the harness's `binary` option that runs `binary` under `taskset -c core`: a
 * two-line shell script in `dir` that execs, so the process the harness stops is nats-server itself.
 */
export function pinnedBinary(binary: string, core: number, dir: string): string {
  const file = path.join(dir, "nats-server-pinned");
  const quoted = `'${binary.replaceAll("'", `'\\''`)}'`;
  fs.writeFileSync(file, `#!/bin/sh\nexec taskset -c ${core} ${quoted} "$@"\n`, { mode: 0o755 });
  return file;
}

/** `fork()` options that start node itself under `taskset -c core` (pinned from its first thread on). */
export function pinnedFork(core: number, execArgv: readonly string[]): { execPath: string; execArgv: string[] } {
  return { execPath: "taskset", execArgv: ["-c", String(core), process.execPath, ...execArgv] };
}

/** How a report's header says the run was pinned. */
export function describePinning(pinning: Pinning): string {
  return `pinned: nats-server on core ${pinning.serverCore}, each scenario's process on core ${pinning.scenarioCore}`;
}
