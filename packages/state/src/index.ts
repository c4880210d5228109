export { KeyedStore } from "./keyed-store.js";
export type { StateChunk } from "./keyed-store.js";
