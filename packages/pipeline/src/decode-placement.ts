import { availableParallelism } from "node:os";
import { choiceOption } from "@jetflow/core";

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
  if (fromEnv !== undefined && fromEnv !== "") return choiceOption(DECODE_IN_ENV, fromEnv, DECODE_IN, "auto");
  return choiceOption("decodeIn", option, DECODE_IN, "auto");
}

/**
 * Whether an input read in reader threads decodes its batches there. `auto`: once two or more
 * reader threads read for the pipeline (several inputs, or an input the server partitions) and
 * each of them and this thread have a core of their own; each reader then decodes its share in
 * parallel and this thread keeps only the operators. Otherwise decoding stays here:
 * - with one busy reader thread, its protocol work and this thread's decode + operators are about
 *   even per message (~2.3 µs each on the bench machine), and decoding there makes the reader the
 *   bottleneck (~3.6 µs against ~1.1);
 * - with more busy threads than cores, decoding in the readers costs more CPU than it saves here
 *   (2 cores, 4 partitions on 2 readers: 8.8 µs of CPU per message against 7.1, 0.71x of the
 *   ceiling against 0.82x; benchmarks' profile notes, "Decoding in reader threads").
 *
 * @param threads the pipeline's reader threads (`workers`; 0: none, decode here)
 * @param inputs the pipeline's NATS inputs (sources and tables)
 * @param shares the consumers this input is read through (one per server partition)
 * @param cores the machine's cores (`availableParallelism()`)
 */
export function decodesInReaders(
  decodeIn: DecodeIn,
  threads: number,
  inputs: number,
  shares: number,
  cores: number = availableParallelism(),
): boolean {
  if (threads === 0 || decodeIn === "main") return false;
  if (decodeIn === "reader") return true;
  const busy = Math.min(threads, Math.max(inputs, shares));
  return busy >= 2 && busy + 1 <= cores;
}
