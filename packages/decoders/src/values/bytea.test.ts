import { expect, test } from "vitest";
import { byteaFromText, toHex } from "./bytea.js";

test("hex format", () => {
  expect(byteaFromText("\\xdeadBEEF")).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  expect(byteaFromText("\\x de ad")).toEqual(new Uint8Array([0xde, 0xad]));
  expect(byteaFromText("\\x")).toEqual(new Uint8Array(0));
  expect(byteaFromText("\\xabc")).toBeUndefined();
  expect(byteaFromText("\\xzz")).toBeUndefined();
});

test("escape format", () => {
  expect(byteaFromText("abc")).toEqual(new TextEncoder().encode("abc"));
  expect(byteaFromText("é")).toEqual(new Uint8Array([0xc3, 0xa9]));
  expect(byteaFromText("a\\\\b")).toEqual(new Uint8Array([97, 92, 98]));
  expect(byteaFromText("\\000\\377")).toEqual(new Uint8Array([0, 255]));
  expect(byteaFromText("\\9")).toBeUndefined();
  expect(byteaFromText("trailing\\")).toBeUndefined();
});

test("toHex", () => {
  expect(toHex(new Uint8Array([0, 15, 255]))).toBe("000fff");
});
