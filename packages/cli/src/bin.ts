#!/usr/bin/env node
import { main } from "./main.js";

const interrupted = new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupted });
// Open handles (a timer, a socket closing) must not keep a finished command alive.
process.exitCode = code;
setTimeout(() => process.exit(code), 2000).unref();
