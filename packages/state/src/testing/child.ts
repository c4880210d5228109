import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** A running `crash-writer.mjs` and the lines it printed so far. */
export interface WriterChild {
  readonly proc: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first printed line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/** Starts `crash-writer.mjs DIR MODE` as a separate node process running the TypeScript sources. */
export function startWriter(dir: string, mode: "write" | "hold"): WriterChild {
  const proc = spawn(
    process.execPath,
    ["--conditions=@jetflow/source", "--import", "./ts-loader.mjs", "crash-writer.mjs", dir, mode],
    { cwd: here, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  let stderr = "";
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let partial = "";
  proc.stdout?.on("data", (b: Buffer) => {
    partial += b.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return {
    proc,
    lines,
    waitFor(re, timeoutMs = 20_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child printed no ${re} in ${timeoutMs} ms; stderr:\n${stderr}`)),
          timeoutMs,
        );
        proc.once("exit", (code) => reject(new Error(`child exited (${code}) before ${re}; stderr:\n${stderr}`)));
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}
