import type { BatchSource } from "@jetflow/connector-nats";
import type { RawBatch } from "@jetflow/core";
import { map, type Observable } from "rxjs";
import type { DecodedInput } from "./decoded-input.js";

/**
 * A source read on this thread, its raw batches decoded here as they are emitted: the same
 * batches a reader thread's decode stage makes, so an input is applied one way however it is read.
 */
export class DecodingSource implements BatchSource<DecodedInput> {
  readonly batches$: Observable<DecodedInput>;

  constructor(
    private readonly source: BatchSource,
    decode: (raw: RawBatch) => DecodedInput,
  ) {
    this.batches$ = source.batches$.pipe(map(decode));
  }

  get status$(): BatchSource["status$"] {
    return this.source.status$;
  }

  lag(): number {
    return this.source.lag();
  }

  caughtUp(): Promise<void> {
    return this.source.caughtUp();
  }

  ack(offsets: ReadonlyMap<string, number>): Promise<void> {
    return this.source.ack(offsets);
  }

  publish(...args: Parameters<BatchSource["publish"]>): Promise<void> {
    return this.source.publish(...args);
  }

  stop(): Promise<void> {
    return this.source.stop();
  }

  drop(): Promise<void> {
    return this.source.drop();
  }
}
