// Test-only child process (see filesystem-crash.test.ts), started through ts-loader.mjs.
//   crash-writer.mjs DIR write   restores, then processes messages and checkpoints forever, with up
//                                to two checkpoint writes in flight while the next batch is applied;
//                                prints "committed ID SEQ" after each commit
//   crash-writer.mjs DIR hold    takes the state directory's lock, prints "locked", waits
const { Checkpointer, filesystemBackend, KeyedStore } = await import("../index.ts");
const { applyMessage } = await import("./crash-workload.ts");

const [dir, mode] = process.argv.slice(2);
const backend = filesystemBackend(dir, { keep: 2 });
if (mode === "hold") {
  process.stdout.write("locked\n");
  setInterval(() => {}, 1000);
} else {
  const table = new KeyedStore("table");
  const totals = new KeyedStore("totals");
  const checkpointer = new Checkpointer(backend, () => [table, totals], { fullEvery: 4 });
  const restored = await checkpointer.restore();
  let seq = restored?.offsets.src?.c ?? 0;
  process.stdout.write(`restored ${restored?.id ?? 0} ${seq}\n`);
  const inFlight = new Set();
  for (;;) {
    for (let i = 0; i < 500; i++) applyMessage(++seq, table, totals);
    const at = seq;
    const p = checkpointer.checkpoint({ src: { c: at } }, { fingerprint: "crash" }).then(({ id }) => {
      process.stdout.write(`committed ${id} ${at}\n`);
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= 2) await Promise.race(inFlight);
    else await new Promise((resolve) => setImmediate(resolve));
  }
}
