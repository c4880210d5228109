import { type Pipeline, type PipelineOptions, pipeline } from "@jetflow/pipeline";
import { sqlFrontend } from "./parse-sql.js";

/**
 * A pipeline that also takes SQL: `@jetflow/pipeline`'s `pipeline()` with this package's front
 * end plugged in, so `.sql(text)` and `.exec(text)` take RisingWave DDL and materialized views,
 * beside the TypeScript DSL. (`pipeline()` is the one builder; this is it with SQL.)
 *
 * @example
 * ```ts
 * const p = sqlPipeline({ state: { kind: "filesystem", dir: "./state" } });
 * p.sql(await readFile("pipeline.sql", "utf8"));
 * await p.start();
 * ```
 */
export function sqlPipeline(options: PipelineOptions = {}): Pipeline {
  return pipeline({ ...options, sql: options.sql ?? sqlFrontend });
}
