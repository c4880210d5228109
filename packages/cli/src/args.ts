import { parseArgs } from "node:util";
import { UsageError } from "./errors.js";

type Spec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** The parsed flags: strings for string flags, booleans for boolean ones, undefined when absent. */
export interface Flags<S extends Spec> {
  readonly values: { [K in keyof S]?: S[K]["type"] extends "string" ? string : boolean };
  readonly positionals: string[];
}

/** Parses a command's flags strictly; an unknown flag or a missing value is a UsageError naming it. */
export function parseFlags<S extends Spec>(command: string, argv: string[], spec: S): Flags<S> {
  try {
    return parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true }) as Flags<S>;
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, "") : String(e);
    throw new UsageError(`${command}: ${msg} (see jetflow ${command} --help)`);
  }
}

/** A whole number flag within [min, max]. */
export function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** One of the listed values. */
export function choiceFlag<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got "${value}"`);
  }
  return value as T;
}

/** A comma-separated list of server URLs. */
export function serversFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const servers = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (servers.length === 0) throw new UsageError("--server needs at least one URL");
  return servers;
}
