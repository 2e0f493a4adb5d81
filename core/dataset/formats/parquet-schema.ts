/**
 * A Parquet schema read into the shapes the `parquet` encoding writes (docs/formats/encodings-v2.md): structs,
 * lists, maps and leaves, each with the definition and repetition levels that decide its nulls and repeats, and each
 * leaf with the writer of its logical type. Anything the encoding does not define is refused here, once per file,
 * naming the column. Browser-safe: no node:* imports.
 */
import type { FileMetaData, SchemaElement, SchemaTree } from "hyparquet";
import { parquetSchema } from "hyparquet";
import { parseFloat16 } from "hyparquet/src/convert.js";
import { FormatError } from "../../errors.ts";
import {
  bigEndianSigned,
  ByteWriter,
  compareKeys,
  dateText,
  decimalText,
  integerText,
  timestampText,
  timeText,
  uuidText,
  writeBytes,
  writeFloat,
  writeString,
  writeUtf8String,
  writtenKey,
  type TimeUnit,
} from "./canonical-json.ts";

/** Writes one physical value (as hyparquet's page decoders return it) in canonical form; throws ValueError when it has none. */
export type LeafWriter = (w: ByteWriter, v: unknown) => void;

/** A value the encoding cannot write (a time outside a day, a string that is not UTF-8); the reader names the row. */
export class ValueError extends Error {}

export interface LeafNode {
  kind: "leaf";
  /** Index among the leaves, in schema order: the column chunk of a row group. */
  leaf: number;
  path: string[];
  optional: boolean;
  maxDef: number;
  maxRep: number;
  write: LeafWriter;
  /** The schema path hyparquet's page decoders take. */
  schemaPath: SchemaTree[];
  element: SchemaElement;
}
export interface StructNode {
  kind: "struct";
  optional: boolean;
  /** Definition level at which the struct is present. */
  def: number;
  /** Fields in canonical order, each with its `"key":` bytes (with a leading comma after the first). */
  fields: Array<{ key: Uint8Array; node: SchemaNode }>;
  leaves: LeafNode[];
}
export interface ListNode {
  kind: "list" | "map";
  optional: boolean;
  /** Present (not null) at this definition level. */
  def: number;
  /** Non-empty at this definition level (the repeated field is defined). */
  emptyDef: number;
  /** Repetition level of the repeated field: a repeat at this level is the next element. */
  rep: number;
  /** The element; for a map, key then value. */
  children: SchemaNode[];
  leaves: LeafNode[];
}
export type SchemaNode = LeafNode | StructNode | ListNode;

export interface RowSchema {
  root: StructNode;
  leaves: LeafNode[];
}

/** The dotted path of a column as messages name it. */
export const columnName = (path: string[]) => path.join(".");

/**
 * Reads a file's schema into row shapes. `where` names the file in errors. Throws FORMAT_UNSUPPORTED for a type
 * the encoding does not define (INTERVAL, VARIANT, an unknown logical type) and for a malformed LIST or MAP.
 */
export function rowSchema(metadata: FileMetaData, where: string): RowSchema {
  const tree = parquetSchema(metadata);
  const leaves: LeafNode[] = [];
  const unsupported = (path: string[], why: string) =>
    new FormatError("FORMAT_UNSUPPORTED", `${where}: column "${columnName(path)}" ${why}, which the parquet encoding does not define (docs/formats/encodings-v2.md)`);

  // The schema path of each tree node, root first, as hyparquet's decoders expect.
  const field = (t: SchemaTree, trail: SchemaTree[], def: number, rep: number): SchemaNode => {
    const e = t.element;
    const here = [...trail, t];
    if (e.repetition_type === "REPEATED") {
      // A repeated field outside a LIST or MAP is a required list of required elements.
      const element = value(t, here, def + 1, rep + 1, false);
      return { kind: "list", optional: false, def, emptyDef: def + 1, rep: rep + 1, children: [element], leaves: leavesOf(element) };
    }
    const optional = e.repetition_type === "OPTIONAL";
    return value(t, here, optional ? def + 1 : def, rep, optional);
  };

  const value = (t: SchemaTree, here: SchemaTree[], def: number, rep: number, optional: boolean): SchemaNode => {
    const e = t.element;
    const annotation = e.logical_type?.type ?? e.converted_type;
    if (t.children.length === 0) return leaf(t, here, def, rep, optional);
    if (annotation === "LIST") {
      const r = t.children[0];
      if (t.children.length !== 1 || r.element.repetition_type !== "REPEATED") throw unsupported(t.path, "is a LIST without one repeated field");
      const inner = [...here, r];
      let element: SchemaNode;
      // The backward-compatibility rules of the Parquet LogicalTypes spec decide which level is the element.
      if (r.children.length === 0 || r.children.length > 1 || r.element.name === "array" || r.element.name === `${e.name}_tuple`) {
        element = value(r, inner, def + 1, rep + 1, false);
      } else {
        element = field(r.children[0], inner, def + 1, rep + 1);
      }
      return { kind: "list", optional, def, emptyDef: def + 1, rep: rep + 1, children: [element], leaves: leavesOf(element) };
    }
    if (annotation === "MAP" || annotation === "MAP_KEY_VALUE") {
      const r = t.children[0];
      if (t.children.length !== 1 || r.element.repetition_type !== "REPEATED" || r.children.length !== 2) {
        throw unsupported(t.path, "is a MAP without one repeated key-value group of two fields");
      }
      const inner = [...here, r];
      const children = r.children.map((c) => field(c, inner, def + 1, rep + 1));
      return { kind: "map", optional, def, emptyDef: def + 1, rep: rep + 1, children, leaves: children.flatMap(leavesOf) };
    }
    if (annotation !== undefined) throw unsupported(t.path, `is a group of logical type ${annotation}`);
    const named = t.children.map((c) => ({ name: writtenKey(c.element.name), node: field(c, here, def, rep) }));
    named.sort((a, b) => compareKeys(a.name, b.name));
    for (let k = 1; k < named.length; k++) {
      if (named[k].name === named[k - 1].name) throw unsupported(t.path, `has two fields named "${named[k].name}"`);
    }
    const fields = named.map((f, k) => {
      const w = new ByteWriter(64);
      if (k > 0) w.byte(0x2c);
      writeString(w, f.name);
      w.byte(0x3a);
      return { key: w.result().slice(), node: f.node };
    });
    return { kind: "struct", optional, def, fields, leaves: fields.flatMap((f) => leavesOf(f.node)) };
  };

  const leaf = (t: SchemaTree, here: SchemaTree[], def: number, rep: number, optional: boolean): LeafNode => {
    const node: LeafNode = {
      kind: "leaf",
      leaf: leaves.length,
      path: t.path,
      optional,
      maxDef: def,
      maxRep: rep,
      write: leafWriter(t, unsupported),
      schemaPath: here,
      element: t.element,
    };
    leaves.push(node);
    return node;
  };

  const root = value(tree, [tree], 0, 0, false);
  if (root.kind !== "struct") throw new FormatError("FORMAT_UNSUPPORTED", `${where}: the schema root is not a group of columns`);
  // Fields were visited in schema order (sorting came after), so leaves are numbered as columns are stored.
  return { root, leaves };
}

function leavesOf(node: SchemaNode): LeafNode[] {
  return node.kind === "leaf" ? [node] : node.leaves;
}

const UNIT_OF: Record<string, TimeUnit> = { MILLIS: "MILLIS", MICROS: "MICROS", NANOS: "NANOS" };
const JULIAN_EPOCH_DAY = 2440588n;
const NANOS_PER_DAY = 86_400_000_000_000n;

/** The writer of one leaf's values from its physical type and its logical (or legacy converted) type. */
function leafWriter(t: SchemaTree, unsupported: (path: string[], why: string) => Error): LeafWriter {
  const e = t.element;
  const physical = e.type;
  const logical = e.logical_type as ({ type?: string } & Record<string, unknown>) | undefined;
  const lt = logical?.type;
  const ct = e.converted_type;
  if (logical && lt === undefined) throw unsupported(t.path, "has a logical type this reader does not know");
  if (lt === "VARIANT" || lt === "FILE" || lt === "INTERVAL" || ct === "INTERVAL") throw unsupported(t.path, `has type ${lt ?? ct}`);

  if (lt === "STRING" || lt === "ENUM" || lt === "JSON" || ct === "UTF8" || ct === "ENUM" || ct === "JSON") {
    if (physical !== "BYTE_ARRAY") throw unsupported(t.path, `is text stored as ${physical}`);
    return (w, v) => writeUtf8String(w, v as Uint8Array);
  }
  if (lt === "UUID") {
    if (physical !== "FIXED_LEN_BYTE_ARRAY" || e.type_length !== 16) throw unsupported(t.path, "is a UUID not stored in 16 bytes");
    return (w, v) => w.ascii(`{"$uuid":"${uuidText(v as Uint8Array)}"}`);
  }
  if (lt === "DECIMAL" || ct === "DECIMAL") {
    const scale = Number(logical?.scale ?? e.scale ?? 0);
    if (!Number.isInteger(scale) || scale < 0) throw unsupported(t.path, `is a DECIMAL with scale ${scale}`);
    const unscaled = (v: unknown): bigint => (v instanceof Uint8Array ? bigEndianSigned(v) : typeof v === "bigint" ? v : BigInt(v as number));
    return (w, v) => w.ascii(`{"$decimal":"${decimalText(unscaled(v), scale)}"}`);
  }
  if (lt === "DATE" || ct === "DATE") {
    if (physical !== "INT32") throw unsupported(t.path, `is a DATE stored as ${physical}`);
    return (w, v) => w.ascii(`{"$date":"${dateText(v as number)}"}`);
  }
  const time =
    lt === "TIME"
      ? { unit: UNIT_OF[String(logical!.unit)], utc: logical!.isAdjustedToUTC === true }
      : ct === "TIME_MILLIS"
        ? { unit: "MILLIS" as const, utc: true }
        : ct === "TIME_MICROS"
          ? { unit: "MICROS" as const, utc: true }
          : null;
  if (time) {
    if (!time.unit) throw unsupported(t.path, "is a TIME of an unknown unit");
    return (w, v) => {
      const text = timeText(BigInt(v as number | bigint), time.unit, time.utc);
      if (text === null) throw new ValueError(`the time ${String(v)} (${time.unit}) is not within one day`);
      w.ascii(`{"$time":"${text}"}`);
    };
  }
  const stamp =
    lt === "TIMESTAMP"
      ? { unit: UNIT_OF[String(logical!.unit)], utc: logical!.isAdjustedToUTC === true }
      : ct === "TIMESTAMP_MILLIS"
        ? { unit: "MILLIS" as const, utc: true }
        : ct === "TIMESTAMP_MICROS"
          ? { unit: "MICROS" as const, utc: true }
          : null;
  if (stamp) {
    if (!stamp.unit || physical !== "INT64") throw unsupported(t.path, `is a TIMESTAMP of unit ${String(logical?.unit)} stored as ${physical}`);
    return (w, v) => w.ascii(`{"$timestamp":"${timestampText(v as bigint, stamp.unit, stamp.utc)}"}`);
  }
  if (physical === "INT96" && !lt && !ct) {
    // Legacy Impala/Spark timestamps: nanoseconds of the day, then a Julian day number; an instant in UTC.
    return (w, v) => {
      const x = v as bigint;
      const nanos = x & 0xffffffffffffffffn;
      const days = x >> 64n;
      w.ascii(`{"$timestamp":"${timestampText((days - JULIAN_EPOCH_DAY) * NANOS_PER_DAY + nanos, "NANOS", true)}"}`);
    };
  }
  const unsigned = (lt === "INTEGER" && logical!.isSigned === false) || ct === "UINT_8" || ct === "UINT_16" || ct === "UINT_32" || ct === "UINT_64";
  if (lt === "INTEGER" || (ct && /^U?INT_/.test(ct))) {
    if (physical === "INT32") return unsigned ? (w, v) => w.ascii(String((v as number) >>> 0)) : (w, v) => w.ascii(String(v));
    if (physical === "INT64") return unsigned ? (w, v) => w.ascii(BigInt.asUintN(64, v as bigint).toString()) : (w, v) => w.ascii((v as bigint).toString());
    throw unsupported(t.path, `is an integer stored as ${physical}`);
  }
  if (lt === "FLOAT16") {
    if (physical !== "FIXED_LEN_BYTE_ARRAY" || e.type_length !== 2) throw unsupported(t.path, "is a FLOAT16 not stored in 2 bytes");
    return (w, v) => writeFloat(w, parseFloat16(v as Uint8Array)!);
  }
  if (lt !== undefined && lt !== "BSON" && lt !== "GEOMETRY" && lt !== "GEOGRAPHY" && lt !== "NULL") throw unsupported(t.path, `has logical type ${lt}`);
  if (ct !== undefined && ct !== "BSON") throw unsupported(t.path, `has converted type ${ct}`);
  switch (physical) {
    case "BOOLEAN":
      return (w, v) => w.ascii(v ? "true" : "false");
    case "INT32":
    case "INT64":
      return (w, v) => w.ascii(integerText(v as number | bigint));
    case "FLOAT":
    case "DOUBLE":
      return (w, v) => writeFloat(w, v as number);
    case "BYTE_ARRAY":
    case "FIXED_LEN_BYTE_ARRAY":
      // BSON, GeoParquet WKB and plain binary are bytes.
      return (w, v) => writeBytes(w, v as Uint8Array);
    default:
      throw unsupported(t.path, `has physical type ${physical}`);
  }
}
