import { type Pipeline, type PipelineOptions, pipeline } from "@jetflow/pipeline";
import { sqlFrontend } from "@jetflow/sql";

/** A jetflow pipeline that accepts SQL (what `pipeline()` of `@jetflow/sql` gives a user). */
export function sqlPipeline(options: Omit<PipelineOptions, "sql">): Pipeline {
  return pipeline({ ...options, sql: sqlFrontend });
}
