// Test-only child process: the sending end of an exchange in its own process, so a test can
// SIGKILL it mid-publish. Run from the build: node dist/testing/exchange-child.js URL GROUP EDGE FILE MODE
// MODE "seal": routes rows 0..ROWS-1 of the all-types change by column `txt` into 4 partitions,
// seals epoch 1 one row per message, keeps the sealed epoch in FILE (as a checkpoint would), prints
// {"type":"sealed","messages":M}, publishes it and prints {"type":"published"}.
// MODE "republish": publishes the sealed epoch in FILE again and prints {"type":"published"}.
import { readFileSync, writeFileSync } from "node:fs";
import { deserialize, serialize } from "node:v8";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { ExchangeWriter, type SealedEpoch } from "../exchange-writer.js";
import { allTypesChange } from "./all-types.js";

const [url, group, edge, file, mode, rows, partitions] = process.argv.slice(2);
const print = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const nc = await connect({ servers: url! });
const writer = new ExchangeWriter(jetstream(nc), {
  group: group!,
  edge: edge!,
  from: 0,
  partitions: Number(partitions),
  maxMessageBytes: 1024,
  maxAcksInFlight: 4,
});
let sealed: SealedEpoch;
if (mode === "seal") {
  writer.add(await allTypesChange(0, Number(rows)), [6]);
  sealed = writer.seal(1);
  writeFileSync(file!, serialize(sealed));
  print({ type: "sealed", messages: sealed.targets.reduce((a, t) => a + t.messages.length, 0) });
} else sealed = deserialize(readFileSync(file!)) as SealedEpoch;
await writer.publish(sealed);
print({ type: "published" });
await nc.close();
