/**
 * Parquet files written by an independent writer (apache-arrow tables through parquet-wasm, the Rust parquet
 * crate), for the test vectors, the tests and the demo; and the tables the vectors use, at the edges of
 * docs/formats/encodings-v2.md.
 */
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm/node";

export interface WriteOptions {
  rowGroupSize?: number;
  compression?: "UNCOMPRESSED" | "SNAPPY" | "GZIP" | "ZSTD" | "BROTLI" | "LZ4_RAW";
  dictionary?: boolean;
  /** Data page v2 instead of v1. */
  pageV2?: boolean;
  dataPageSize?: number;
}

/** The table as a Parquet file written by parquet-wasm, with the layout asked for. */
export function writeParquet(table: arrow.Table, opts: WriteOptions = {}): Uint8Array {
  let b = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression[opts.compression ?? "SNAPPY"])
    .setDictionaryEnabled(opts.dictionary ?? true)
    .setWriterVersion(opts.pageV2 ? pq.WriterVersion.V2 : pq.WriterVersion.V1);
  if (opts.rowGroupSize) b = b.setMaxRowGroupSize(opts.rowGroupSize);
  if (opts.dataPageSize) b = b.setDataPageSizeLimit(opts.dataPageSize);
  return pq.writeParquet(pq.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), b.build());
}

/** Reads a Parquet file with parquet-wasm into an apache-arrow table: the second, independent reader. */
export function readParquetWithArrow(bytes: Uint8Array): arrow.Table {
  return arrow.tableFromIPC(pq.readParquet(bytes).intoIPCStream());
}

const field = (name: string, type: arrow.DataType, nullable = true) => new arrow.Field(name, type, nullable);

/** A 128-bit decimal's four little-endian 32-bit words from its unscaled value. */
export function decimalWords(unscaled: bigint): Uint32Array {
  const v = BigInt.asUintN(128, unscaled);
  return Uint32Array.from([0, 1, 2, 3], (k) => Number((v >> BigInt(32 * k)) & 0xffffffffn));
}

/** A 64-bit column (timestamps, times) built from bigints with nulls, which vectorFromArray cannot do for every type. */
export function bigintVector(type: arrow.DataType, values: Array<bigint | null>): arrow.Vector {
  const data = BigInt64Array.from(values, (v) => v ?? 0n);
  const valid = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => v !== null && (valid[i >> 3] |= 1 << (i & 7)));
  const nulls = values.filter((v) => v === null).length;
  return arrow.makeVector(arrow.makeData({ type, length: values.length, nullCount: nulls, data, nullBitmap: nulls ? valid : undefined } as never));
}

/** Scalars at the edges: integer extremes, floats (NaN, -0, exponents, float32), strings needing escapes, bytes, odd names. */
export function scalarsTable(): arrow.Table {
  return new arrow.Table({
    i32: arrow.vectorFromArray([1, -2147483648, null], new arrow.Int32()),
    i64: arrow.vectorFromArray([9007199254740993n, -1n, 0n], new arrow.Int64()),
    u64: arrow.vectorFromArray([18446744073709551615n, 0n, null], new arrow.Uint64()),
    b: arrow.vectorFromArray([true, false, null], new arrow.Bool()),
    f32: arrow.vectorFromArray([0.1, -0, NaN], new arrow.Float32()),
    f64: arrow.vectorFromArray([1e21, 5e-324, -Infinity], new arrow.Float64()),
    s: arrow.vectorFromArray(['tab\there "q" \\ é 日本 😀', "\u0001\u001f\u007f\u2028", null], new arrow.Utf8()),
    bin: arrow.vectorFromArray([Uint8Array.from([0, 1, 2, 253, 254, 255]), new Uint8Array(0), null], new arrow.Binary()),
    $weird: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
    ä: arrow.vectorFromArray(["x", "y", "z"], new arrow.Utf8()),
  });
}

/** Dates, times, timestamps in every unit with and without UTC, decimals small and huge. */
export function temporalTable(): arrow.Table {
  return new arrow.Table({
    date: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: 3, data: Int32Array.from([0, -1, 2932897]) } as never)),
    ts_ms_utc: bigintVector(new arrow.TimestampMillisecond("UTC"), [0n, -1n, 1700000000123n]),
    ts_us_local: bigintVector(new arrow.TimestampMicrosecond(), [1700000000123456n, null, -62135596800000000n]),
    ts_ns_utc: bigintVector(new arrow.TimestampNanosecond("UTC"), [1700000000123456789n, 1n, null]),
    time_us: bigintVector(new arrow.TimeMicrosecond(), [3723004005n, 0n, 86399999999n]),
    dec: arrow.vectorFromArray([decimalWords(1234n), decimalWords(-5n), null], new arrow.Decimal(3, 20, 128)),
    dec_huge: arrow.vectorFromArray([decimalWords(2n ** 100n), decimalWords(-(10n ** 37n)), decimalWords(0n)], new arrow.Decimal(0, 38, 128)),
  });
}

/** Lists (null, empty, null elements, nested), structs (null, all-null fields), maps, lists of structs. */
export function nestedTable(): arrow.Table {
  const i64 = new arrow.Int64();
  const list = (t: arrow.DataType) => new arrow.List(field("element", t));
  const inner = new arrow.Struct([field("c", new arrow.Int32())]);
  const struct = new arrow.Struct([field("a", new arrow.Utf8()), field("b", inner)]);
  const entries = new arrow.Struct<{ key: arrow.Utf8; value: arrow.Int32 }>([
    new arrow.Field("key", new arrow.Utf8(), false),
    new arrow.Field("value", new arrow.Int32(), true),
  ]);
  const map = new arrow.Map_(new arrow.Field("entries", entries, false));
  return new arrow.Table({
    l: arrow.vectorFromArray([[1n, 2n], null, [], [null]], list(i64)),
    ll: arrow.vectorFromArray([[[1], []], [[2, null]], null, [null, [3]]], list(list(new arrow.Int32()))),
    st: arrow.vectorFromArray([{ a: "x", b: { c: 1 } }, null, { a: null, b: null }, { a: "y", b: { c: null } }], struct),
    m: arrow.vectorFromArray(
      [
        new Map([
          ["b", 2],
          ["a", 1],
        ]),
        null,
        new Map(),
        new Map([["k", null]]),
      ],
      map,
    ),
    ls: arrow.vectorFromArray([[{ x: 1 }, null], [], null, [{ x: null }]], list(new arrow.Struct([field("x", new arrow.Int32())]))),
  });
}

/** `rows` rows of a small text table (id, text, score, label): Hugging Face splits, benchmarks. */
export function textTable(rows: number, from = 0): arrow.Table {
  const ids = new BigInt64Array(rows);
  const scores = new Float64Array(rows);
  const labels = new Int32Array(rows);
  const texts: string[] = [];
  for (let i = 0; i < rows; i++) {
    const k = from + i;
    ids[i] = BigInt(k);
    scores[i] = ((k * 2654435761) % 1000) / 1000;
    labels[i] = k % 10;
    texts.push(`row ${k}: the quick brown fox jumps over the lazy dog ${k % 977}`);
  }
  return new arrow.Table({
    id: arrow.makeVector(ids),
    text: arrow.vectorFromArray(texts, new arrow.Utf8()),
    score: arrow.makeVector(scores),
    label: arrow.makeVector(labels),
  });
}
