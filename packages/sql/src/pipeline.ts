import { type Pipeline, type PipelineOptions, pipeline as basePipeline } from "@jetflow/pipeline";
import { sqlFrontend } from "./parse-sql.js";

/**
 * `@jetflow/pipeline`'s `pipeline()` with this package's SQL front end plugged in, so `.sql(text)`
 * takes RisingWave DDL and materialized views.
 *
 * @example
 * ```ts
 * const p = pipeline({ state: { kind: "filesystem", dir: "./state" } });
 * p.sql(await readFile("pipeline.sql", "utf8"));
 * await p.start();
 * ```
 */
export function pipeline(options: PipelineOptions = {}): Pipeline {
  return basePipeline({ ...options, sql: options.sql ?? sqlFrontend });
}
