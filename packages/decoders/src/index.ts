export type { BadMessage, DecodeResult, Decoder, DecoderSpec, FormatSpec, IncludeColumn } from "./decoder.js";
export { createDecoder } from "./create-decoder.js";
export { resolveFormat } from "./options.js";
export type { ResolvedFormat } from "./options.js";
export { SchemaLoadError } from "./errors.js";
