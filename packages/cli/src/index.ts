export { main, HELP } from "./main.js";
export type { Io } from "./run-command.js";
export { toTextTable } from "./output/text-table.js";
export { progressLine, RateMeter } from "./progress.js";
export { demoSql, DEMO_STREAM, DEMO_SUBJECT } from "./demo-command.js";
