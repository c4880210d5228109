import type { Mode } from "./plan.js";

/** Options of `pnpm bench`. */
export interface BenchOptions {
  /** `--quick`: tiny sizes, every scenario, well under a minute. @default "full" */
  readonly mode: Mode;
  /** `--only REGEX`: run only the scenarios whose id matches (and load only their datasets). */
  readonly only: RegExp | undefined;
  /** `--repeat N`: run every scenario N times, round-robin, and keep each one's fastest run. @default 1 */
  readonly repeat: number;
  /** `--cpu-prof`: write a V8 CPU profile of every scenario's process into `<out>/profiles` (pick them with `--only`). @default false */
  readonly cpuProf: boolean;
  /** `--out DIR`: where the results go. @default benchmarks/results */
  readonly out: string | undefined;
  /** `--pin`: nats-server under `taskset -c 0`, every scenario's process under `taskset -c 1` (see `pin.ts`). @default false */
  readonly pin: boolean;
}

const USAGE = "usage: pnpm bench [--quick] [--only REGEX] [--repeat N] [--cpu-prof] [--out DIR] [--pin]";

/** Parses the command line; errors name the option and what it accepts. */
export function resolveBenchOptions(argv: readonly string[]): BenchOptions {
  let mode: Mode = "full";
  let only: RegExp | undefined;
  let repeat = 1;
  let cpuProf = false;
  let out: string | undefined;
  let pin = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case "--quick":
        mode = "quick";
        break;
      case "--full":
        mode = "full";
        break;
      case "--only":
        only = new RegExp(value());
        break;
      case "--repeat": {
        const v = value();
        repeat = Number(v);
        if (!Number.isSafeInteger(repeat) || repeat < 1)
          throw new Error(`--repeat must be a whole number >= 1, got "${v}"`);
        break;
      }
      case "--cpu-prof":
        cpuProf = true;
        break;
      case "--out":
        out = value();
        break;
      case "--pin":
        pin = true;
        break;
      case "--":
        break;
      default:
        throw new Error(`unknown option "${arg}"\n${USAGE}`);
    }
  }
  return { mode, only, repeat, cpuProf, out, pin };
}
