import { SqlError, type SqlErrorCode } from "./errors.js";

/**
 * A SQL text with the offset arithmetic errors need: UTF-16 offsets (how JS indexes strings) to
 * 1-based line and column, and the UTF-8 byte / character offsets the PostgreSQL parser reports
 * back to UTF-16 offsets.
 */
export class SourceText {
  /** UTF-16 offset of the first character of each line. */
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** 1-based line and column (columns count characters, so an emoji is one column) of a UTF-16 offset. */
  position(offset: number): { line: number; column: number } {
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    const start = this.lineStarts[lo] as number;
    let column = 1;
    for (let i = start; i < at; i++) {
      const c = this.text.charCodeAt(i);
      // A surrogate pair is one character: count only its high half.
      if (c < 0xdc00 || c > 0xdfff) column++;
    }
    return { line: lo + 1, column };
  }

  /** A {@link SqlError} located at a UTF-16 offset. */
  error(code: SqlErrorCode, offset: number, detail: string, cause?: unknown): SqlError {
    const { line, column } = this.position(offset);
    return new SqlError(code, detail, line, column, cause === undefined ? undefined : { cause });
  }

  /** The UTF-16 offset reached by walking `bytes` UTF-8 bytes from `start`. */
  offsetOfUtf8(start: number, bytes: number): number {
    let i = start;
    let b = 0;
    while (i < this.text.length && b < bytes) {
      const cp = this.text.codePointAt(i) as number;
      b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      i += cp > 0xffff ? 2 : 1;
    }
    return i;
  }

  /** The UTF-16 offset reached by walking `chars` characters (code points) from `start`. */
  offsetOfChars(start: number, chars: number): number {
    let i = start;
    for (let n = 0; i < this.text.length && n < chars; n++) i += (this.text.codePointAt(i) as number) > 0xffff ? 2 : 1;
    return i;
  }
}
