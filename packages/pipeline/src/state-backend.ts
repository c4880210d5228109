import { connectNats, type NatsConnectConfig } from "@jetflow/connector-nats";
import { type CheckpointBackend, filesystemBackend, memoryBackend, natsBackend } from "@jetflow/state";
import { PipelineStateError } from "./errors.js";
import type { StateOption } from "./options.js";

/**
 * Opens the checkpoint backend the options name (a `backend` given is used as is). The NATS backend borrows the connection
 * settings (servers, auth, TLS) of the first source, `state.servers` replacing its URLs.
 */
export async function openStateBackend(
  state: StateOption,
  firstSource: NatsConnectConfig | undefined,
): Promise<CheckpointBackend> {
  switch (state.kind) {
    case "memory":
      return memoryBackend();
    case "backend":
      return state.backend;
    case "filesystem":
      return filesystemBackend(state.dir, state.keep === undefined ? {} : { keep: state.keep });
    case "nats": {
      if (firstSource === undefined) {
        throw new PipelineStateError(
          "the nats state backend needs a NATS source to borrow its connection settings from",
        );
      }
      const urls = state.servers;
      const nc = await connectNats(urls === undefined ? firstSource : { ...firstSource, servers: [...urls] });
      const backend = await natsBackend(nc, { bucket: state.bucket });
      return {
        kind: backend.kind,
        load: () => backend.load(),
        commit: (r) => backend.commit(r),
        ...(backend.newestId === undefined
          ? {}
          : { newestId: () => (backend.newestId as () => Promise<number | undefined>)() }),
        close: async () => {
          await backend.close();
          await nc.close();
        },
      };
    }
  }
}

/** Where the state lives, as errors name it: ` in ./state`, a phrase for a backend given, or nothing. */
export function stateLocation(state: StateOption): string {
  switch (state.kind) {
    case "filesystem":
      return ` in ${state.dir}`;
    case "backend":
      return " in the checkpoint backend given";
    default:
      return "";
  }
}
