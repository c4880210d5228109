import type { DataType } from "apache-arrow";
import type { Column } from "../columns/column.js";

/**
 * A column storage class (`../columns`), built from its Arrow type and a capacity. TypeScript
 * wants a mixin's base typed as taking `any[]`; {@link namedColumn} passes `(type, capacity)`.
 */
// biome-ignore lint/suspicious/noExplicitAny: TypeScript's rule for mixins, see above
type ColumnClass = abstract new (...args: any[]) => Column;

/**
 * The storage class `Base` for a writer: it also keeps the column's path (named in bad-value
 * reasons) and, when `Type` is given, makes its own Arrow type, so a writer of a fixed-type
 * column needs no constructor. Writers whose type depends on an argument pass it as `type`.
 *
 * @example class BooleanWriter extends namedColumn(BoolColumn, Bool) implements ValueWriter { ... }
 */
export function namedColumn<B extends ColumnClass>(Base: B, Type?: new () => DataType): NamedColumnClass<B> {
  abstract class NamedColumn extends Base {
    readonly path: string;

    // `any[]` again by TypeScript's rule for mixins; the cast below gives the real signature.
    // biome-ignore lint/suspicious/noExplicitAny: see above
    constructor(...args: any[]) {
      const [path, capacity, type] = args as [string, number, DataType | undefined];
      super(type ?? new Type!(), capacity);
      this.path = path;
    }
  }
  return NamedColumn as unknown as NamedColumnClass<B>;
}

/** A storage class made by {@link namedColumn}: `type` is needed when it was given no fixed type. */
type NamedColumnClass<B extends ColumnClass> = abstract new (
  path: string,
  capacity: number,
  type?: DataType,
) => InstanceType<B> & { readonly path: string };
