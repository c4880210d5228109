// Scratch benchmark (not a test): JSON decode throughput on ~70-byte messages.
import { parseSqlType } from "@jetflow/core";
import { createDecoder } from "../dist/index.js";
const N = 200_000,
  B = Number(process.argv[2] ?? 2048);
const enc = new TextEncoder();
const payloads = [];
for (let i = 0; i < N; i++)
  payloads.push(
    enc.encode(
      JSON.stringify({
        id: i,
        user: `user_${i % 977}`,
        amount: Math.round(i * 37.5) / 100,
        ts: 1700000000000 + i,
        ok: i % 3 === 0,
      }),
    ),
  );
console.log("avg bytes", payloads.reduce((a, p) => a + p.length, 0) / N);
const columns = [
  ["id", "bigint"],
  ["user", "varchar"],
  ["amount", "double precision"],
  ["ts", "timestamptz"],
  ["ok", "boolean"],
].map(([name, t]) => ({ name, type: parseSqlType(t) }));
const which = process.argv[3] ?? "5";
const d = await createDecoder({
  format: { format: "plain", encode: "json", options: {} },
  columns: columns.slice(0, Number(which)),
  include: [],
});
const batches = [];
for (let s = 0; s < N; s += B) {
  const n = Math.min(B, N - s);
  batches.push({
    length: n,
    payloads: payloads.slice(s, s + n),
    subjects: new Array(n).fill("x"),
    sequences: new Float64Array(n).map((_, k) => s + k + 1),
    timestampsUs: new Float64Array(n),
    headers: undefined,
    offsets: new Map(),
  });
}
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  let rows = 0;
  for (const b of batches) rows += d.decode(b).batch.numRows;
  const dt = performance.now() - t;
  console.log(`run ${r}: ${(((rows / dt) * 1000) / 1000).toFixed(0)}k msg/s`);
}
// baseline: decode+parse only
const td = new TextDecoder("utf-8", { fatal: true });
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  let x = 0;
  for (const p of payloads) x += JSON.parse(td.decode(p)).id;
  console.log(`parse-only ${(((N / (performance.now() - t)) * 1000) / 1000).toFixed(0)}k msg/s`);
}
