import { InvalidOptionError } from "@jetflow/core";

/** Where a threaded input decodes: decided per input (`auto`), or always in its reader thread or here. */
export type DecodeIn = "auto" | "reader" | "main";

export const DECODE_IN: readonly DecodeIn[] = ["auto", "reader", "main"];

/** The environment variable that overrides every `decodeIn` option (to run a whole suite one way). */
export const DECODE_IN_ENV = "JETFLOW_DECODE_IN";

/**
 * `JETFLOW_DECODE_IN` if set, else `option`, else `auto`; another value is an
 * `InvalidOptionError` naming where it came from.
 */
export function resolveDecodeIn(option: string | undefined, env: NodeJS.ProcessEnv = process.env): DecodeIn {
  const fromEnv = env[DECODE_IN_ENV];
  const [name, value] = fromEnv !== undefined && fromEnv !== "" ? [DECODE_IN_ENV, fromEnv] : ["decodeIn", option];
  if (value === undefined) return "auto";
  if (!(DECODE_IN as readonly string[]).includes(value)) {
    throw new InvalidOptionError(name, `${name} must be one of ${DECODE_IN.join(", ")}, got "${value}"`);
  }
  return value as DecodeIn;
}

/**
 * Whether an input read in reader threads decodes its batches there. `auto`: once two or more
 * reader threads read for the pipeline (several inputs, or an input the server partitions), so
 * each decodes its share in parallel and the main thread keeps only the operators. While one
 * reader thread reads everything, decoding stays here: per message the reader's protocol work
 * and this thread's decode + operators are about even (~2.3 µs each on the bench machine), and
 * decoding in the one reader makes it the bottleneck (~3.6 µs against ~1.3; benchmarks' profile
 * notes, "Decoding in reader threads").
 *
 * @param threads the pipeline's reader threads (`workers`; 0: none, decode here)
 * @param inputs the pipeline's NATS inputs (sources and tables)
 * @param shares the consumers this input is read through (one per server partition)
 */
export function decodesInReaders(decodeIn: DecodeIn, threads: number, inputs: number, shares: number): boolean {
  if (threads === 0 || decodeIn === "main") return false;
  return decodeIn === "reader" || Math.min(threads, Math.max(inputs, shares)) >= 2;
}
