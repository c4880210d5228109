export { parseSql, sqlFrontend } from "./parse-sql.js";
export { sqlPipeline } from "./pipeline.js";
export { SqlError } from "./errors.js";
export type { SqlErrorCode } from "./errors.js";
