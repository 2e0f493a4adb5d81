/**
 * The text form of a file path whose bytes may not be UTF-8 (docs/formats/encodings-v1.md, "Names"):
 * well-formed UTF-8 reads as itself; every byte outside it, `%`, and the characters that would change how a
 * line displays (controls, bidi overrides, line separators) are written `%XX` (uppercase hex). `%` is always
 * escaped, so `pathFromText` undoes `pathText` exactly: two different byte paths never share a text form.
 * Browser-safe: no Node imports.
 */
import { InputError } from "../errors.ts";

const HEX = "0123456789ABCDEF";
const escapeByte = (b: number) => `%${HEX[b >> 4]}${HEX[b & 15]}`;

/** Code points written as their escaped UTF-8 bytes although well-formed. */
function escapedCodePoint(cp: number): boolean {
  return (
    cp === 0x25 || // "%" itself, so the form stays reversible
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x2028 && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069)
  );
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or 0 if the byte starts none. */
export function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // no UTF-16 surrogates
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function codePointAt(b: Uint8Array, i: number, len: number): number {
  if (len === 1) return b[i];
  let cp = b[i] & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) cp = (cp << 6) | (b[i + k] & 0x3f);
  return cp;
}

/** The text form of a path's bytes. */
export function pathText(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const len = sequenceLength(bytes, i);
    if (len === 0) {
      out += escapeByte(bytes[i++]);
      continue;
    }
    const cp = codePointAt(bytes, i, len);
    if (escapedCodePoint(cp)) for (let k = 0; k < len; k++) out += escapeByte(bytes[i + k]);
    else out += String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

/** The bytes a text form stands for. Throws INPUT_INVALID for a `%` not followed by two hex digits or a lone surrogate. */
export function pathFromText(text: string): Uint8Array {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < text.length;) {
    if (text[i] === "%") {
      const pair = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(pair)) {
        throw new InputError("INPUT_INVALID", `"${text}" is not a path in text form: write % as %25 and other escaped bytes as %XX`);
      }
      out.push(parseInt(pair, 16));
      i += 3;
      continue;
    }
    const cp = text.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) throw new InputError("INPUT_INVALID", `"${text}" holds a lone UTF-16 surrogate: no byte path has that text form`);
    const ch = String.fromCodePoint(cp);
    out.push(...utf8.encode(ch));
    i += ch.length;
  }
  return Uint8Array.from(out);
}

/** The one text form of a path given in text form (`%ff` becomes `%FF`, an unescaped control is escaped). */
export function canonicalPathText(text: string): string {
  return pathText(pathFromText(text));
}
