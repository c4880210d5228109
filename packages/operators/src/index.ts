export type { Expr, LiteralValue, ScalarFn, AggregateFn, AggregateCall, NamedExpr } from "./expr.js";
export { col, lit, call } from "./expr.js";
