import { defineConfig } from "vitest/config";
import { defaultServerConditions } from "vite";

const packages = [
  "core",
  "decoders",
  "connector-nats",
  "state",
  "operators",
  "sinks",
  "pipeline",
  "sql",
  "serve",
  "group",
  "cli",
];
// Inside the workspace, packages resolve to each other's TypeScript sources.
const conditions = ["@jetflow/source", ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    reporters: ["default", "./scripts/summary-reporter.ts"],
    setupFiles: ["./scripts/vitest-setup.ts"],
    // Most suites wait on nats-servers and child processes rather than compute: two files at a
    // time on two cores (vitest's default is cores - 1).
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 30_000,
    // Integration tests run real nats-servers and child processes on two loaded cores: a test that
    // fails once is run once more, and the summary names it as flaky (scripts/summary-reporter.ts)
    // so the timing problem is seen and fixed rather than failing an unrelated run. A test that
    // fails twice fails.
    retry: 1,
    // PGlite (WASM) and nats-servers start slowly on a busy machine.
    hookTimeout: 60_000,
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        // The pipeline's own suites read on one thread (`workers` 0); "pipeline-threaded" below runs
        // them again threaded, and every other suite runs the default (a reader thread).
        test: {
          name,
          include: [`packages/${name}/src/**/*.test.ts`],
          ...(name === "pipeline" ? { env: { JETFLOW_WORKERS: "0" } } : {}),
        },
      })),
      {
        // The connector's reading suites once more on nats.js's consumer API (the fallback read
        // path): both paths must give the same batches, offsets and acks.
        extends: true as const,
        test: {
          name: "connector-nats-consumer",
          env: { JETFLOW_READ_PATH: "consumer" },
          include: [
            "nats-source",
            "batching",
            "resume",
            "resilience",
            "consumer-layout",
            "managed-consumer",
            "startup",
            "strict-api",
            "consumer-cleanup",
            "open-outage",
          ].map((f) => `packages/connector-nats/src/${f}.test.ts`),
        },
      },
      {
        // The pipeline's suites once more with every source read in a reader thread
        // (ThreadedSource) that also decodes, and every GROUP BY and join (that keeps its sides) run
        // as two shards in operator threads: the same tables, views, checkpoints, acks and bad-message policies (dead
        // letters with their payloads from the thread).
        extends: true as const,
        test: {
          name: "pipeline-threaded",
          env: { JETFLOW_WORKERS: "1", JETFLOW_DECODE_IN: "reader", JETFLOW_SHARDS: "2" },
          include: ["packages/pipeline/src/**/*.test.ts"],
          exclude: ["packages/pipeline/src/options.test.ts"],
        },
      },
      { extends: true as const, test: { name: "harness", include: ["test/harness/src/**/*.test.ts"] } },
      { extends: true as const, test: { name: "examples", include: ["examples/src/**/*.test.ts"] } },
      { extends: true as const, test: { name: "e2e", include: ["test/e2e/src/**/*.test.ts"], testTimeout: 180_000 } },
      {
        extends: true as const,
        test: { name: "benchmarks", include: ["benchmarks/src/**/*.test.ts"], testTimeout: 120_000 },
      },
    ],
  },
});
