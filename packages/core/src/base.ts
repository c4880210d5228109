/**
 * The part of `@jetflow/core` that needs no Arrow: errors, option checks and the raw batch type.
 * What a NATS reader thread loads (`@jetflow/connector-nats`), so that it starts without parsing
 * apache-arrow; everything here is in the main entry too.
 */
export { ErrorCode, JetflowError, InvalidOptionError, UnknownTypeError, SchemaError, messageOf } from "./errors.js";
export { wholeNumberOption } from "./whole-number.js";
export { choiceOption } from "./choice-option.js";
export type { RawBatch, Offsets } from "./raw-batch.js";
