/**
 * The canonical JSON of docs/formats/encodings-v2.md computed a second way, for cross-checks: from an Arrow table
 * that parquet-wasm (the Rust parquet crate) read, with JavaScript's own JSON.stringify, Buffer's base64 and Date's
 * ISO text, sharing no code with core/dataset/formats/. Covers the types the tests write.
 */
import * as arrow from "apache-arrow";

const sortKey = (k: string) => Buffer.from(k.startsWith("$") ? `$${k}` : k, "utf8");

function object(entries: Array<[string, string]>): string {
  const sorted = entries.map(([k, v]) => ({ key: sortKey(k), v })).sort((a, b) => Buffer.compare(a.key, b.key));
  return `{${sorted.map((e) => `${JSON.stringify(e.key.toString("utf8"))}:${e.v}`).join(",")}}`;
}

function float(x: number): string {
  if (Number.isNaN(x)) return '{"$float":"NaN"}';
  if (x === Infinity) return '{"$float":"Infinity"}';
  if (x === -Infinity) return '{"$float":"-Infinity"}';
  if (x === 0 && 1 / x < 0) return "-0.0";
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const two = (n: bigint | number) => String(n).padStart(2, "0");

/** The date part of an ISO text from Date: four-digit years, or ECMAScript's six-digit signed ones. */
const isoDate = (ms: number) => new Date(ms).toISOString().replace(/T.*$/, "");

function timestamp(v: bigint, perSecond: bigint, digits: number, utc: boolean): string {
  let s = v / perSecond;
  let f = v % perSecond;
  if (f < 0n) {
    f += perSecond;
    s -= 1n;
  }
  const day = ((s % 86400n) + 86400n) % 86400n;
  const date = isoDate(Number(s - day) * 1000);
  return `{"$timestamp":"${date}T${two(day / 3600n)}:${two((day / 60n) % 60n)}:${two(day % 60n)}.${String(f).padStart(digits, "0")}${utc ? "Z" : ""}"}`;
}

const UNIT: Record<number, [bigint, number]> = {
  [arrow.TimeUnit.MILLISECOND]: [1000n, 3],
  [arrow.TimeUnit.MICROSECOND]: [1_000_000n, 6],
  [arrow.TimeUnit.NANOSECOND]: [1_000_000_000n, 9],
};

/** A fixed-width column's stored value at row i (not Arrow's converted one: timestamps stay exact). */
function raw(vector: arrow.Vector, i: number): bigint | number {
  let at = i;
  for (const d of vector.data) {
    if (at < d.length) return (d.values as ArrayLike<bigint | number>)[d.offset + at];
    at -= d.length;
  }
  throw new RangeError(`row ${i} is past the column`);
}

function value(type: arrow.DataType, v: unknown, vector?: arrow.Vector, i?: number): string {
  if (v === null || v === undefined) return "null";
  if (arrow.DataType.isBool(type)) return v ? "true" : "false";
  if (arrow.DataType.isInt(type)) return String(v);
  if (arrow.DataType.isFloat(type)) return float(v as number);
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) return JSON.stringify(v);
  if (arrow.DataType.isBinary(type) || arrow.DataType.isFixedSizeBinary(type) || arrow.DataType.isLargeBinary(type)) {
    return `{"$bytes":"${Buffer.from(v as Uint8Array).toString("base64")}"}`;
  }
  if (arrow.DataType.isDecimal(type)) {
    const unscaled = BigInt(String(v));
    const scale = type.scale;
    const neg = unscaled < 0n;
    let digits = (neg ? -unscaled : unscaled).toString();
    if (scale > 0) {
      digits = digits.padStart(scale + 1, "0");
      digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    }
    return `{"$decimal":"${neg ? "-" : ""}${digits}"}`;
  }
  if (arrow.DataType.isDate(type)) return `{"$date":"${isoDate(Number(raw(vector!, i!)) * 86400000)}"}`;
  if (arrow.DataType.isTimestamp(type)) {
    const [per, digits] = UNIT[type.unit];
    return timestamp(BigInt(raw(vector!, i!)), per, digits, type.timezone !== null && type.timezone !== undefined);
  }
  if (arrow.DataType.isTime(type)) {
    const [per, digits] = UNIT[type.unit];
    const t = BigInt(raw(vector!, i!));
    const s = t / per;
    return `{"$time":"${two(s / 3600n)}:${two((s / 60n) % 60n)}:${two(s % 60n)}.${String(t % per).padStart(digits, "0")}"}`;
  }
  if (arrow.DataType.isList(type)) {
    const items = v as arrow.Vector;
    const child = type.children[0].type;
    return `[${Array.from({ length: items.length }, (_, k) => value(child, items.get(k), items, k)).join(",")}]`;
  }
  if (arrow.DataType.isStruct(type)) {
    const row = v as Record<string, unknown>;
    return object(type.children.map((f) => [f.name, value(f.type, row[f.name])]));
  }
  if (arrow.DataType.isMap(type)) {
    const [k, val] = type.children[0].type.children;
    return `[${[...(v as Iterable<[unknown, unknown]>)].map(([a, b]) => `[${value(k.type, a)},${value(val.type, b)}]`).join(",")}]`;
  }
  if (arrow.DataType.isDictionary(type)) return value(type.dictionary, v);
  throw new Error(`the cross-check does not cover Arrow type ${type}`);
}

/** Every row of the table as canonical JSON text. */
export function arrowRows(table: arrow.Table): string[] {
  const columns = table.schema.fields.map((f) => ({ f, vector: table.getChild(f.name)! }));
  return Array.from({ length: table.numRows }, (_, i) => object(columns.map(({ f, vector }) => [f.name, value(f.type, vector.get(i), vector, i)])));
}
