/**
 * PostgreSQL's bytea text input, as RisingWave reads bytea from JSON strings:
 * `\x` followed by hex pairs (`\xdeadbeef`, whitespace between pairs allowed), otherwise the
 * escape format, where `\\` is a backslash, `\ooo` an octal byte and any other character
 * stands for its UTF-8 bytes.
 *
 * @example byteaFromText("\\x0aff") // Uint8Array [10, 255]
 */
export function byteaFromText(text: string): Uint8Array | undefined {
  return text.startsWith("\\x") ? fromHex(text, 2) : fromEscaped(text);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

function fromHex(text: string, start: number): Uint8Array | undefined {
  const out = new Uint8Array((text.length - start) >> 1);
  let n = 0;
  for (let i = start; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    const hi = hexValue(c);
    const lo = i + 1 < text.length ? hexValue(text.charCodeAt(i + 1)) : -1;
    if (hi < 0 || lo < 0) return undefined;
    out[n++] = (hi << 4) | lo;
    i += 2;
  }
  return out.subarray(0, n);
}

const encoder = new TextEncoder();

function fromEscaped(text: string): Uint8Array | undefined {
  if (!text.includes("\\")) return encoder.encode(text);
  const bytes: number[] = [];
  let plain = "";
  const flush = () => {
    if (plain.length > 0) for (const b of encoder.encode(plain)) bytes.push(b);
    plain = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== "\\") {
      plain += ch;
      continue;
    }
    flush();
    if (text[i + 1] === "\\") {
      bytes.push(92);
      i++;
      continue;
    }
    const octal = /^[0-3][0-7]{2}/.exec(text.slice(i + 1, i + 4));
    if (octal === null) return undefined;
    bytes.push(Number.parseInt(octal[0], 8));
    i += 3;
  }
  flush();
  return Uint8Array.from(bytes);
}

/** Lower-case hex of bytes, for `\x...` renderings. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}
