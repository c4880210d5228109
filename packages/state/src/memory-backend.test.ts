import { describe, expect, it } from "vitest";
import { KeyedStore } from "./keyed-store.js";
import { memoryBackend } from "./memory-backend.js";
import { backendContract, recordOf } from "./testing/backend-contract.js";

describe("memoryBackend", () => {
  backendContract(async () => {
    const backend = memoryBackend();
    return { backend, dispose: () => backend.close() };
  });

  it("keeps only the newest full chain", async () => {
    const backend = memoryBackend();
    const s = new KeyedStore<unknown>("s");
    s.set("a", 1);
    await backend.commit(recordOf(1, [s], true));
    await backend.commit(recordOf(2, [s], false));
    await backend.commit(recordOf(3, [s], true));
    await backend.commit(recordOf(4, [s], false));
    const held = (backend as unknown as { records: Map<number, unknown> }).records;
    expect([...held.keys()].sort()).toEqual([3, 4]);
    expect(backend.kind).toBe("memory");
  });
});
