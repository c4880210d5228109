/**
 * The entry of a reader thread (see {@link ReaderThreads}): runs NatsSources for the main
 * thread's {@link ThreadedSource}s, one session per source on a MessagePort of its own.
 *
 * A session posts each raw batch as its stage packs it (see `ThreadStage`: by default
 * `packBatch`; a pipeline decodes there), buffers transferred, then waits on the shared credit
 * counter while the main thread holds {@link MAX_IN_FLIGHT} of them: waiting inside the NATS read
 * loop holds the next pull back, exactly as a synchronous subscriber does on one thread, so
 * memory stays bounded by the pull size and the batches in flight.
 */
import { parentPort } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import type { RawBatch } from "@jetflow/core/base";
import type { Subscription } from "rxjs";
import { errorToData } from "./error-transfer.js";
import { NatsSource } from "./nats-source.js";
import { resolveNatsOptions } from "./resolve-options.js";
import type { SourceRuntimeOptions } from "./runtime-options.js";
import { loadStage, RAW_STAGE, type ThreadStage } from "./thread-stage.js";
import {
  CREDIT_FLAG,
  CREDIT_IN_FLIGHT,
  type ToReader,
  type ToMain,
  MAX_IN_FLIGHT,
  type OpenSession,
} from "./thread-protocol.js";

parentPort?.on("message", (m: OpenSession) => {
  if (m.t === "open") void runSession(m.port, m.withOptions, m.runtime, new Int32Array(m.credit), m.stage);
});

async function runSession(
  port: MessagePort,
  withOptions: Record<string, string>,
  runtime: SourceRuntimeOptions,
  credit: Int32Array,
  stageSpec: OpenSession["stage"],
): Promise<void> {
  const post = (m: ToMain, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);
  let source: NatsSource;
  let stage: ThreadStage;
  try {
    // The stage first: a stage that cannot be built leaves no connection or consumer behind.
    stage = stageSpec === undefined ? RAW_STAGE : await loadStage(stageSpec.module, stageSpec.options);
    source = await NatsSource.open(resolveNatsOptions(withOptions), runtime);
  } catch (e) {
    post({ t: "failed", error: errorToData(e) });
    port.close();
    return;
  }
  post({ t: "opened" });
  const statuses = source.status$.subscribe((s) =>
    post({ t: "status", status: s.type === "error" ? { type: "error", error: errorToData(s.error) } : s }),
  );
  source.caughtUp().then(
    () => post({ t: "caught_up" }),
    () => undefined, // the failure or stop that rejects it is posted on its own
  );
  let lastLag = -1;
  const lagTimer = setInterval(() => {
    const lag = source.lag();
    if (lag !== lastLag) post({ t: "lag", lag });
    lastLag = lag;
  }, 250);
  let batches: Subscription | undefined;
  const send = (raw: RawBatch) => {
    let message: ReturnType<ThreadStage["pack"]>;
    try {
      message = stage.pack(raw);
    } catch (e) {
      // A bug in the stage (bad messages are data, not throws): the source fails, nothing is skipped.
      post({ t: "error", error: errorToData(e) });
      batches?.unsubscribe();
      batches = undefined;
      return;
    }
    const { packed, transfer } = message;
    lastLag = source.lag();
    post({ t: "batch", batch: packed, lag: lastLag }, transfer);
    Atomics.add(credit, CREDIT_IN_FLIGHT, 1);
    // Back-pressure: the main thread releases a credit once it has applied a batch.
    for (;;) {
      if (Atomics.load(credit, CREDIT_FLAG) !== 0) return;
      const inFlight = Atomics.load(credit, CREDIT_IN_FLIGHT);
      if (inFlight < MAX_IN_FLIGHT) return;
      Atomics.wait(credit, CREDIT_IN_FLIGHT, inFlight, 1_000);
    }
  };
  port.on("message", (m: ToReader) => {
    switch (m.t) {
      case "subscribe":
        batches ??= source.batches$.subscribe({
          next: send,
          error: (e: unknown) => post({ t: "error", error: errorToData(e) }),
          complete: () => post({ t: "complete" }),
        });
        break;
      case "pause":
        batches?.unsubscribe();
        batches = undefined;
        break;
      case "ack":
        void source.ack(new Map(m.offsets)).then(() => post({ t: "reply", id: m.id }));
        break;
      case "publish":
        source.publish(m.subject, m.payload, m.headers, m.msgId).then(
          () => post({ t: "reply", id: m.id }),
          (e: unknown) => post({ t: "reply", id: m.id, error: errorToData(e) }),
        );
        break;
      case "stop":
        clearInterval(lagTimer);
        batches?.unsubscribe();
        batches = undefined;
        (m.drop ? source.drop() : source.stop()).then(
          () => {
            statuses.unsubscribe();
            post({ t: "reply", id: m.id });
            port.close();
          },
          (e: unknown) => {
            post({ t: "reply", id: m.id, error: errorToData(e) });
            port.close();
          },
        );
        break;
    }
  });
}
