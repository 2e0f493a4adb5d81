/**
 * Canonical JSON for encodings-v2 `parquet` rows (docs/formats/encodings-v2.md): the byte writer, the text of
 * every scalar form, and the strict reader for a row pasted as JSON. Browser-safe: no node:* imports.
 *
 * Forms (one text per value):
 *   null, true, false; integers as exact decimal digits; floats as the shortest text that reads back to the same
 *   double, always with a `.` or an exponent (`1.0`, `-0.0`, `1e+21`); strings with the minimal escapes; objects with
 *   members sorted by the UTF-8 bytes of their keys, no whitespace. Values JSON cannot hold are one-member tag objects:
 *   {"$bytes": base64}, {"$float": "NaN" | "Infinity" | "-Infinity"}, {"$decimal": "-12.30"}, {"$date": "2024-01-31"},
 *   {"$time": "12:00:00.000000"}, {"$timestamp": "2024-01-31T12:00:00.000Z"}, {"$uuid": "…"}. A field name that
 *   starts with `$` is written with one more `$`, so no struct reads as a tag.
 */
import { InputError } from "../../errors.ts";
import { sequenceLength } from "../path-text.ts";

/** A growable byte buffer; with `flush`, everything past `flushAt` bytes is handed on (streaming a huge row into a hash). */
export class ByteWriter {
  buf: Uint8Array;
  length = 0;
  /** Bytes handed to `flush` since the last reset. */
  flushed = 0;
  private readonly flush?: (bytes: Uint8Array) => void;
  private readonly flushAt: number;

  constructor(initial = 4096, flush?: (bytes: Uint8Array) => void, flushAt = 1 << 20) {
    this.buf = new Uint8Array(initial);
    this.flush = flush;
    this.flushAt = flushAt;
  }

  reset(): void {
    this.length = 0;
    this.flushed = 0;
  }

  /** Room for `n` more bytes; flushes first when a sink is set and the buffer is past its threshold. */
  reserve(n: number): void {
    if (this.flush && this.length >= this.flushAt) {
      this.flush(this.buf.subarray(0, this.length));
      this.flushed += this.length;
      this.length = 0;
    }
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  /** Text known to be ASCII (digits, punctuation, tag names). */
  ascii(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
  }

  bytes(b: Uint8Array): void {
    if (b.length <= 4096) {
      this.reserve(b.length);
      this.buf.set(b, this.length);
      this.length += b.length;
      return;
    }
    // Big values go in pieces, so a flushing writer never holds a whole one twice.
    for (let at = 0; at < b.length; at += 1 << 20) {
      const piece = b.subarray(at, Math.min(b.length, at + (1 << 20)));
      this.reserve(piece.length);
      this.buf.set(piece, this.length);
      this.length += piece.length;
    }
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = "0123456789abcdef";
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

/** Thrown for a string that is not well-formed UTF-8; callers name the column and row. */
export class InvalidUtf8Error extends Error {}

/**
 * Writes UTF-8 `bytes` as a JSON string: `"` and `\` escaped, U+0000-U+001F as \b \t \n \f \r or \u00xx, every other
 * character as its own UTF-8 bytes. Throws InvalidUtf8Error unless `bytes` is well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF).
 */
export function writeUtf8String(w: ByteWriter, bytes: Uint8Array): void {
  w.reserve(bytes.length + 2);
  w.buf[w.length++] = QUOTE;
  let run = 0; // start of the bytes not yet copied
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const c = bytes[i];
    if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH && c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0x80) {
      i += utf8SequenceLength(bytes, i);
      continue;
    }
    if (i > run) w.bytes(bytes.subarray(run, i));
    const short = SHORT_ESCAPES[c];
    if (c === QUOTE || c === BACKSLASH) {
      w.byte(BACKSLASH);
      w.byte(c);
    } else if (short !== undefined) {
      w.byte(BACKSLASH);
      w.byte(short);
    } else w.ascii(`\\u00${HEX[c >> 4]}${HEX[c & 15]}`);
    run = ++i;
  }
  if (n > run) w.bytes(bytes.subarray(run, n));
  w.byte(QUOTE);
}

/** Length of the well-formed UTF-8 sequence at `bytes[i]` (a lead byte >= 0x80), or InvalidUtf8Error. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const n = sequenceLength(bytes, i);
  if (n === 0) throw new InvalidUtf8Error(`byte ${i} starts no well-formed UTF-8 character`);
  return n;
}

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A JavaScript string as a JSON string; refuses lone surrogates (they have no UTF-8). */
export function writeString(w: ByteWriter, s: string): void {
  if (LONE_SURROGATE.test(s)) throw new InvalidUtf8Error("the text holds a lone surrogate");
  writeUtf8String(w, encoder.encode(s));
}

/** An object key as written: a name starting with `$` gets one more `$` (tags own the single `$`). */
export const writtenKey = (name: string): string => (name.startsWith("$") ? `$${name}` : name);

/** Byte order of UTF-8 (code point order), the order of an object's members. */
export function compareKeys(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// ---- scalar forms --------------------------------------------------------------------------------------

export function integerText(v: number | bigint): string {
  return typeof v === "bigint" ? v.toString() : String(v);
}

/** A finite double's text: ECMAScript's shortest round-trip form, with `.0` added when it would read as an integer. */
export function floatText(x: number): string {
  if (Object.is(x, -0)) return "-0.0";
  const s = String(x);
  return s.includes(".") || s.includes("e") ? s : `${s}.0`;
}

export function writeFloat(w: ByteWriter, x: number): void {
  if (Number.isFinite(x)) w.ascii(floatText(x));
  else w.ascii(`{"$float":"${Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity"}"}`);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));

/** `{"$bytes":"<base64>"}`: the standard alphabet, with padding. */
export function writeBytes(w: ByteWriter, b: Uint8Array): void {
  w.ascii('{"$bytes":"');
  // In pieces of 3 MiB (a multiple of 3), so a flushing writer never holds a huge value's text whole.
  for (let at = 0; at < b.length; at += 3 << 20) {
    const end = Math.min(b.length, at + (3 << 20));
    w.reserve(Math.ceil((end - at) / 3) * 4);
    const out = w.buf;
    let o = w.length;
    let i = at;
    for (; i + 2 < end; i += 3) {
      const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
      out[o++] = B64_CODES[v >> 18];
      out[o++] = B64_CODES[(v >> 12) & 63];
      out[o++] = B64_CODES[(v >> 6) & 63];
      out[o++] = B64_CODES[v & 63];
    }
    if (i < end) {
      const v = (b[i] << 16) | (i + 1 < end ? b[i + 1] << 8 : 0);
      out[o++] = B64_CODES[v >> 18];
      out[o++] = B64_CODES[(v >> 12) & 63];
      out[o++] = i + 1 < end ? B64_CODES[(v >> 6) & 63] : 0x3d;
      out[o++] = 0x3d;
    }
    w.length = o;
  }
  w.ascii('"}');
}

/** A decimal's text from its unscaled integer: exactly `scale` digits after the point, no sign on zero. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** A big-endian two's complement integer (Parquet DECIMAL in bytes). */
export function bigEndianSigned(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return b[0] & 0x80 ? v - (1n << BigInt(b.length * 8)) : v;
}

const pad = (n: number | bigint, width: number) => String(n).padStart(width, "0");

/** A proleptic Gregorian year: four digits from 0000 to 9999, otherwise a sign and at least six digits. */
function yearText(y: number): string {
  if (y >= 0 && y <= 9999) return pad(y, 4);
  return `${y < 0 ? "-" : "+"}${pad(Math.abs(y), 6)}`;
}

/** The civil date of a day count since 1970-01-01 (H. Hinnant's days_from_civil inverse, exact for any int). */
function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

export function dateText(days: number): string {
  const { y, m, d } = civilFromDays(days);
  return `${yearText(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

export type TimeUnit = "MILLIS" | "MICROS" | "NANOS";
const UNITS_PER_SECOND: Record<TimeUnit, bigint> = { MILLIS: 1000n, MICROS: 1_000_000n, NANOS: 1_000_000_000n };
const FRACTION_DIGITS: Record<TimeUnit, number> = { MILLIS: 3, MICROS: 6, NANOS: 9 };

/** HH:MM:SS.fraction of `units` since midnight, 0 <= units < one day; the fraction has 3, 6 or 9 digits by unit. */
function clockText(units: bigint, unit: TimeUnit): string {
  const perSecond = UNITS_PER_SECOND[unit];
  const seconds = units / perSecond;
  const fraction = units % perSecond;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(fraction, FRACTION_DIGITS[unit])}`;
}

/** A time of day; null when the value is not within one day (the caller refuses it). */
export function timeText(units: bigint, unit: TimeUnit, utc: boolean): string | null {
  if (units < 0n || units >= 86400n * UNITS_PER_SECOND[unit]) return null;
  return `${clockText(units, unit)}${utc ? "Z" : ""}`;
}

/** An instant (or a local date-time when not UTC-adjusted) `units` since 1970-01-01T00:00:00. */
export function timestampText(units: bigint, unit: TimeUnit, utc: boolean): string {
  const perDay = 86400n * UNITS_PER_SECOND[unit];
  let days = units / perDay;
  let rest = units % perDay;
  if (rest < 0n) {
    rest += perDay;
    days -= 1n;
  }
  return `${dateText(Number(days))}T${clockText(rest, unit)}${utc ? "Z" : ""}`;
}

export function uuidText(b: Uint8Array): string {
  let hex = "";
  for (const x of b) hex += HEX[x >> 4] + HEX[x & 15];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---- a row pasted as JSON ------------------------------------------------------------------------------

/** A JSON value as the strict reader returns it: numbers keep their kind, objects their members in order. */
export type JsonValue = null | boolean | string | { int: bigint } | { float: number } | JsonValue[] | { members: Array<[string, JsonValue]> };

const bad = (what: string) => new InputError("INPUT_INVALID", `the row JSON ${what}`);

/**
 * Reads JSON text strictly (RFC 8259): no duplicate keys, no trailing text, strings well-formed Unicode; a number
 * with `.`, `e` or `E` is a float, any other an integer of any size.
 */
export function parseStrictJson(text: string): JsonValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const fail = (what: string): never => {
    throw bad(`${what} at character ${i}`);
  };
  const value = (depth: number): JsonValue => {
    if (depth > 512) fail("nests too deep");
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const members: Array<[string, JsonValue]> = [];
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") {
        i++;
        return { members };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expects a key");
        const key = string();
        if (seen.has(key)) fail(`has the key "${key}" twice`);
        seen.add(key);
        ws();
        if (text[i++] !== ":") fail("expects ':'");
        members.push([key, value(depth + 1)]);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return { members };
        } else fail("expects ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: JsonValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return items;
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return items;
        } else fail("expects ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) return ((i += 4), true);
    if (text.startsWith("false", i)) return ((i += 5), false);
    if (text.startsWith("null", i)) return ((i += 4), null);
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 1100));
    if (!m || m[0].length === 0) return fail("holds something that is not JSON");
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) return { int: BigInt(m[0]) };
    const x = Number(m[0]);
    if (!Number.isFinite(x)) fail(`holds ${m[0]}, beyond a double (write {"$float":"Infinity"})`);
    return { float: x };
  };
  const string = (): string => {
    i++; // opening quote
    let out = "";
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail("ends inside a string");
      if (c === 0x22) {
        i++;
        break;
      }
      if (c < 0x20) fail("holds a control character in a string (escape it)");
      if (c === 0x5c) {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail("holds a bad escape");
      } else {
        out += text[i++];
      }
    }
    if (LONE_SURROGATE.test(out)) fail("holds a lone surrogate in a string");
    return out;
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail("has text after the value");
  return v;
}

/** Parses the text of one tag's value and writes it back: equal to the input only if the input is canonical. */
function canonicalTag(tag: string, v: JsonValue): string {
  if (typeof v !== "string") throw bad(`tag ${tag} takes a string`);
  switch (tag) {
    case "$float":
      if (v === "NaN" || v === "Infinity" || v === "-Infinity") return v;
      throw bad(`tag $float takes "NaN", "Infinity" or "-Infinity" (finite floats are plain numbers)`);
    case "$bytes": {
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)) throw bad("tag $bytes takes standard base64 with padding");
      const w = new ByteWriter();
      writeBytes(w, base64Decode(v));
      return new TextDecoder().decode(w.result()).slice('{"$bytes":"'.length, -2);
    }
    case "$decimal": {
      const m = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(v);
      if (!m) throw bad(`tag $decimal takes digits with an optional fraction, got "${v}"`);
      const scale = m[3]?.length ?? 0;
      return decimalText(BigInt(`${m[1]}${m[2]}${m[3] ?? ""}`), scale);
    }
    case "$date":
      return dateText(daysFromDateText(v));
    case "$time": {
      const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3}|[0-9]{6}|[0-9]{9})(Z?)$/.exec(v);
      if (!m) throw bad(`tag $time takes HH:MM:SS.fff[fff[fff]] with an optional Z, got "${v}"`);
      const unit = unitOfDigits(m[4].length);
      const units = (BigInt(m[1]) * 3600n + BigInt(m[2]) * 60n + BigInt(m[3])) * UNITS_PER_SECOND[unit] + BigInt(m[4]);
      const text = timeText(units, unit, m[5] === "Z");
      if (text === null) throw bad(`tag $time "${v}" is not within one day`);
      return text;
    }
    case "$timestamp": {
      const m = /^(.+)T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3}|[0-9]{6}|[0-9]{9})(Z?)$/.exec(v);
      if (!m) throw bad(`tag $timestamp takes <date>THH:MM:SS.fff[fff[fff]] with an optional Z, got "${v}"`);
      const unit = unitOfDigits(m[5].length);
      const seconds = BigInt(daysFromDateText(m[1])) * 86400n + BigInt(m[2]) * 3600n + BigInt(m[3]) * 60n + BigInt(m[4]);
      return timestampText(seconds * UNITS_PER_SECOND[unit] + BigInt(m[5]), unit, m[6] === "Z");
    }
    case "$uuid":
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) return v;
      throw bad(`tag $uuid takes lower-case 8-4-4-4-12 hex, got "${v}"`);
    default:
      throw bad(`has the unknown tag "${tag}" (a field name starting with $ is written with $$)`);
  }
}

const unitOfDigits = (n: number): TimeUnit => (n === 3 ? "MILLIS" : n === 6 ? "MICROS" : "NANOS");

/** Days since 1970-01-01 of a date in the canonical text form (the inverse of dateText), any year. */
function daysFromDateText(v: string): number {
  const m = /^([+-][0-9]{6,}|[0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(v);
  if (!m) throw bad(`date "${v}" is not YYYY-MM-DD (years outside 0000-9999 as ±YYYYYY)`);
  let y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  // days_from_civil (H. Hinnant)
  y -= mo <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function base64Decode(s: string): Uint8Array {
  const clean = s.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}

/**
 * Writes a pasted JSON value in canonical form. Tag values must already be in their canonical text (a date's
 * canonical text is checked by reading it back), so one row has one accepted text per value besides whitespace,
 * member order, escapes and number spelling.
 */
export function writeJsonValue(w: ByteWriter, v: JsonValue, where = "value"): void {
  if (v === null) return w.ascii("null");
  if (v === true) return w.ascii("true");
  if (v === false) return w.ascii("false");
  if (typeof v === "string") return writeString(w, v);
  if (Array.isArray(v)) {
    w.byte(0x5b);
    v.forEach((x, k) => {
      if (k > 0) w.byte(0x2c);
      writeJsonValue(w, x, `${where}[${k}]`);
    });
    return w.byte(0x5d);
  }
  if ("int" in v) return w.ascii(v.int.toString());
  if ("float" in v) return writeFloat(w, v.float);
  const members = v.members;
  if (members.length === 1 && members[0][0].startsWith("$") && !members[0][0].startsWith("$$")) {
    const [tag, value] = members[0];
    const text = canonicalTag(tag, value);
    if (tag === "$float") return writeFloat(w, text === "NaN" ? NaN : text === "Infinity" ? Infinity : -Infinity);
    if (text !== value) throw bad(`${where}: ${tag} "${String(value)}" is not in canonical form (write "${text}")`);
    w.ascii(`{"${tag}":`);
    writeString(w, text);
    return w.byte(0x7d);
  }
  for (const [key] of members) {
    if (key.startsWith("$") && !key.startsWith("$$")) throw bad(`${where}: key "${key}" is a tag beside other members (a field name starting with $ is written with $$)`);
  }
  const sorted = [...members].sort((a, b) => compareKeys(a[0], b[0]));
  w.byte(0x7b);
  sorted.forEach(([key, value], k) => {
    if (k > 0) w.byte(0x2c);
    writeString(w, key);
    w.byte(0x3a);
    writeJsonValue(w, value, `${where}.${key}`);
  });
  w.byte(0x7d);
}

/** The canonical bytes of a row pasted as JSON (an object of columns). */
export function canonicalRowFromJson(text: string): Uint8Array {
  const v = parseStrictJson(text);
  if (v === null || typeof v !== "object" || Array.isArray(v) || !("members" in v)) throw bad("must be an object of columns");
  const w = new ByteWriter();
  try {
    writeJsonValue(w, v, "row");
  } catch (e) {
    if (e instanceof InvalidUtf8Error) throw bad(e.message);
    throw e;
  }
  return w.result();
}
