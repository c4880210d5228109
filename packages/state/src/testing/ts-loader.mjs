// Test-only: lets a plain `node` child process run this workspace's TypeScript sources, so a
// crash test can SIGKILL a real process without a prior build. Use:
//   node --conditions=@jetflow/source --import ./ts-loader.mjs child.mjs
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);
