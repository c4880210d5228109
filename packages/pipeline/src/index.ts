export type {
  IncludeColumn,
  FormatSpec,
  IngestSpec,
  SourceSpec,
  TableSpec,
  ViewQuery,
  Statement,
  Catalog,
  SqlFrontend,
  ParsedStatement,
} from "./spec.js";
