/**
 * One value as a NATS subject token or KV key token, reversibly.
 *
 * KV keys allow `[-/_=.A-Za-z0-9]` with `.` separating tokens; subject tokens must not contain
 * `.`, `*`, `>` or white space. A token keeps `A-Z a-z 0-9 - _ /` as they are and writes every
 * other UTF-8 byte as `=XX` (two upper-case hex digits; `=` itself is `=3D`, `.` is `=2E`).
 * Two tokens stand alone: the empty string is `=` and NULL is `==`. So `escapeToken` never
 * yields `.` and {@link unescapeToken} reverses it exactly.
 *
 * @example
 * ```ts
 * escapeToken("eu west.1"); // "eu=20west=2E1"
 * unescapeToken("eu=20west=2E1"); // "eu west.1"
 * joinKey(["eu", null, ""]); // "eu.==.="
 * ```
 */
export function escapeToken(value: string | null): string {
  if (value === null) return NULL_TOKEN;
  if (value === "") return EMPTY_TOKEN;
  if (PLAIN.test(value)) return value;
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    out += SAFE[byte] === 1 ? String.fromCharCode(byte) : `=${HEX[byte]}`;
  }
  return out;
}

/** The value of a token written by {@link escapeToken}. @throws RangeError on a token it cannot have written */
export function unescapeToken(token: string): string | null {
  if (token === NULL_TOKEN) return null;
  if (token === EMPTY_TOKEN) return "";
  if (!token.includes("=")) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c !== 0x3d) {
      bytes.push(c);
      continue;
    }
    const hex = token.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex))
      throw new RangeError(`'${token}' is not an escaped token: '=' must be followed by two hex digits`);
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Key values joined by `.` as one KV key (or subject tail), each escaped by {@link escapeToken}. */
export function joinKey(values: readonly (string | null)[]): string {
  return values.map(escapeToken).join(".");
}

/** The values of a key written by {@link joinKey}. */
export function splitKey(key: string): (string | null)[] {
  return key.split(".").map(unescapeToken);
}

const NULL_TOKEN = "==";
const EMPTY_TOKEN = "=";
const PLAIN = /^[A-Za-z0-9_/-]+$/;
const SAFE = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_/") SAFE[c.charCodeAt(0)] = 1;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, "0"));
