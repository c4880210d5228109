// Expression equality lives beside Expr in @jetflow/operators, shared with the TypeScript DSL's planner.
export { exprEquals, exprKey, readsColumns } from "@jetflow/operators";
