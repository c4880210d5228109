export { ErrorCode, JetflowError, InvalidOptionError, UnknownTypeError, SchemaError, messageOf } from "./errors.js";
export { wholeNumberOption } from "./whole-number.js";
export { choiceOption } from "./choice-option.js";
export type { ScalarKind, SqlType, StructField } from "./sql-type.js";
export { parseSqlType, formatSqlType, scalar, SCALAR_KINDS } from "./sql-type.js";
export { arrowTypeOf, sqlField, sqlTypeOfField, SQL_TYPE_METADATA_KEY } from "./arrow-type.js";
export type { ColumnDef } from "./column.js";
export { schemaOf, columnsOf } from "./column.js";
export type { ChangeBatch } from "./change-batch.js";
export { INSERT, RETRACT, insertsOf, opAt } from "./change-batch.js";
export type { RawBatch, Offsets } from "./raw-batch.js";
export type { PackedRecordBatch } from "./batch-transfer.js";
export { packRecordBatch, unpackRecordBatch } from "./batch-transfer.js";
export {
  US_PER_SECOND,
  US_PER_DAY,
  daysFromCivil,
  civilFromDays,
  splitMicros,
  joinMicros,
  addInterval,
  formatDate,
  formatTimeOfDay,
  formatTimestamp,
  isoTimestamp,
  formatInterval,
  parseTimeOfDay,
  parseDate,
  parseTimestamp,
  parseInterval,
} from "./temporal.js";
export type { Cell } from "./json-rows/cell.js";
export { cellAt } from "./json-rows/cell.js";
export { plainCell } from "./json-rows/plain-cell.js";
export {
  batchCells,
  compareCodePoints,
  compareRows,
  jsonKeys,
  rowJson,
  sortedCells,
  toJsonLines,
} from "./json-rows/rows.js";
