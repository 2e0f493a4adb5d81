import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { commitSamples } from "../../core/dataset/commit.ts";
import { hashContainerSamples } from "../../core/dataset/formats/containers.ts";
import { canonicalRowFromJson } from "../../core/dataset/formats/canonical-json.ts";
import { openParquet, readRowGroup } from "../../core/dataset/formats/parquet-rows.ts";
import { sampleHashOf } from "../../cli/sample-input.ts";
import { toHex } from "../../core/hex.ts";
import { ProvenantError } from "../../core/errors.ts";
import { bigintVector, decimalWords, nestedTable, readParquetWithArrow, scalarsTable, temporalTable, textTable, writeParquet } from "../../scripts/lib/parquet-tables.ts";
import { arrowRows } from "../helpers/arrow-canonical.ts";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest();

/** Every row's canonical text, by the reader under test. */
async function rowsOf(bytes: Uint8Array): Promise<string[]> {
  const src = { name: "t.parquet", size: bytes.length, read: (o: number, l: number) => bytes.subarray(o, o + l) };
  const { metadata, schema } = await openParquet(src);
  const rows: string[] = [];
  for (let g = 0; g < metadata.row_groups.length; g++) {
    await readRowGroup(src, metadata, schema, g, { onRow: (w) => rows.push(new TextDecoder().decode(w.result())) });
  }
  return rows;
}

/** Sample hashes and root of one file, as `dataset hash` computes them. */
async function commitFile(dir: string, name: string, bytes: Uint8Array) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const samples = await hashContainerSamples(path, "parquet");
  return { root: toHex(commitSamples(samples).root), total: samples.total, hashes: Buffer.from(samples.hashes).toString("hex") };
}

async function refusal(fn: () => Promise<unknown>): Promise<ProvenantError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ProvenantError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("parquet encoding (docs/formats/encodings-v2.md)", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "provenant-parquet-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, table] of [
    ["scalars", scalarsTable],
    ["dates, times, timestamps and decimals", temporalTable],
    ["lists, structs and maps", nestedTable],
    ["text rows", () => textTable(500)],
  ] as const) {
    it(`reads ${name} to the same canonical rows as parquet-wasm and apache-arrow, a second reader`, async () => {
      const bytes = writeParquet(table(), { rowGroupSize: 7 });
      expect(await rowsOf(bytes)).to.deep.equal(arrowRows(readParquetWithArrow(bytes)));
    });
  }

  it("gives one root however the rows are stored: row groups, compression, dictionary, page size and version, writer", async () => {
    const table = textTable(3000);
    const layouts = [
      writeParquet(table),
      writeParquet(table, { rowGroupSize: 1000, compression: "ZSTD", dictionary: false }),
      writeParquet(table, { rowGroupSize: 17, compression: "GZIP", pageV2: true, dataPageSize: 512 }),
      writeParquet(table, { rowGroupSize: 2999, compression: "BROTLI" }),
      writeParquet(table, { compression: "LZ4_RAW", dataPageSize: 100 }),
      writeParquet(table, { compression: "UNCOMPRESSED", pageV2: true }),
    ];
    // hyparquet-writer: another writer, delta and byte-stream-split encodings, INT32 ids for the same integers.
    const rows = table.toArray().map((r) => r.toJSON());
    layouts.push(
      parquetWriteBuffer({
        rowGroupSize: 700,
        pageSize: 4096,
        columnData: [
          { name: "text", data: rows.map((r) => r.text), type: "STRING", encoding: "DELTA_BYTE_ARRAY" },
          { name: "id", data: Int32Array.from(rows, (r) => Number(r.id)), type: "INT32", encoding: "DELTA_BINARY_PACKED" },
          { name: "label", data: Int32Array.from(rows, (r) => r.label), type: "INT32" },
          { name: "score", data: Float64Array.from(rows, (r) => r.score), type: "DOUBLE", encoding: "BYTE_STREAM_SPLIT" },
        ],
      }) as unknown as Uint8Array,
    );
    const results = [];
    for (const [k, bytes] of layouts.entries()) results.push(await commitFile(dir, `layout-${k}.parquet`, new Uint8Array(bytes)));
    for (const r of results) {
      expect(r.root).to.equal(results[0].root);
      expect(r.total).to.equal(3000);
    }
    // Not only the root: each row keeps its hash and place.
    expect(new Set(results.map((r) => r.hashes)).size).to.equal(1);
  });

  it("keeps values exact where hyparquet's own rows would merge them: decimals, nanoseconds", async () => {
    // Attack: two rows that differ only beyond a double's or a millisecond's precision. A canonical form built from
    // hyparquet's default rows (decimals as numbers, timestamps as Date) gives them one hash: one could stand in
    // for the other in a proof.
    const arrow = await import("apache-arrow");
    const bytes = writeParquet(
      new arrow.Table({
        ts: bigintVector(new arrow.TimestampNanosecond("UTC"), [1700000000123456789n, 1700000000123456788n]),
        dec: arrow.vectorFromArray([decimalWords(2n ** 100n), decimalWords(2n ** 100n + 1n)], new arrow.Decimal(0, 38, 128)),
      }),
    );
    const lossy = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
    expect(JSON.stringify(lossy[0])).to.equal(JSON.stringify(lossy[1]));
    const rows = await rowsOf(bytes);
    expect(rows).to.deep.equal([
      '{"dec":{"$decimal":"1267650600228229401496703205376"},"ts":{"$timestamp":"2023-11-14T22:13:20.123456789Z"}}',
      '{"dec":{"$decimal":"1267650600228229401496703205377"},"ts":{"$timestamp":"2023-11-14T22:13:20.123456788Z"}}',
    ]);
  });

  it("writes a field named like a tag with one more $, so data never reads as a tag", async () => {
    // Attack: a struct {"$bytes": "AAE="} of a string would be the same text as the bytes 00 01 if names were
    // written as they are: two different rows, one sample.
    const arrow = await import("apache-arrow");
    const s = new arrow.Struct([new arrow.Field("$bytes", new arrow.Utf8(), true)]);
    const asStruct = writeParquet(new arrow.Table({ x: arrow.vectorFromArray([{ $bytes: "AAE=" }], s) }));
    const asBytes = writeParquet(new arrow.Table({ x: arrow.vectorFromArray([Uint8Array.from([0, 1])], new arrow.Binary()) }));
    const [structRow] = await rowsOf(asStruct);
    const [bytesRow] = await rowsOf(asBytes);
    expect(structRow).to.equal('{"x":{"$$bytes":"AAE="}}');
    expect(bytesRow).to.equal('{"x":{"$bytes":"AAE="}}');
    expect(structRow).to.not.equal(bytesRow);
    // The same rule when a row is pasted: "$bytes" beside nothing is a tag, "$$bytes" a field.
    expect(new TextDecoder().decode(canonicalRowFromJson('{"x": {"$$bytes": "AAE="}}'))).to.equal(structRow);
    expect(new TextDecoder().decode(canonicalRowFromJson('{"x": {"$bytes": "AAE="}}'))).to.equal(bytesRow);
  });

  it("refuses a string column that is not UTF-8 instead of decoding it lossily", async () => {
    // Attack: with a replacing decoder (U+FFFD), "a\xff" and "a\xfe" would be one sample.
    const write = (b: number) =>
      parquetWriteBuffer({
        columnData: [{ name: "s", data: [Uint8Array.from([0x61, b])] }],
        schema: [
          { name: "root", num_children: 1 },
          { name: "s", type: "BYTE_ARRAY", repetition_type: "REQUIRED", converted_type: "UTF8" },
        ],
      }) as unknown as ArrayBuffer;
    const path = join(dir, "bad-utf8.parquet");
    writeFileSync(path, new Uint8Array(write(0xff)));
    const e = await refusal(() => hashContainerSamples(path, "parquet"));
    expect(e.code).to.equal("INPUT_INVALID");
    expect(e.message).to.match(/bad-utf8\.parquet: row group 0: row 0 \(row 0 of the file\), column "s": byte 1 starts no well-formed UTF-8 character/);
  });

  it("refuses a type the encoding does not define, naming the column", async () => {
    const bytes = parquetWriteBuffer({
      columnData: [{ name: "span", data: [new Uint8Array(12)] }],
      schema: [
        { name: "root", num_children: 1 },
        { name: "span", type: "FIXED_LEN_BYTE_ARRAY", type_length: 12, repetition_type: "REQUIRED", converted_type: "INTERVAL" },
      ],
    }) as unknown as ArrayBuffer;
    const path = join(dir, "interval.parquet");
    writeFileSync(path, new Uint8Array(bytes));
    const e = await refusal(() => hashContainerSamples(path, "parquet"));
    expect(e.code).to.equal("FORMAT_UNSUPPORTED");
    expect(e.message).to.contain('interval.parquet: column "span" has type INTERVAL');
  });

  it("refuses a truncated file and a damaged page with one line naming the file and where", async () => {
    const bytes = writeParquet(textTable(2000), { rowGroupSize: 500, compression: "UNCOMPRESSED", dictionary: false });
    const cut = join(dir, "cut.parquet");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const e1 = await refusal(() => hashContainerSamples(cut, "parquet"));
    expect(e1.message).to.match(/cut\.parquet: does not end with the Parquet magic PAR1 at byte \d+: truncated/);
    // Overwrite a page header in the middle of row group 2's first column with bytes that are no header.
    const src = { name: "x", size: bytes.length, read: (o: number, l: number) => bytes.subarray(o, o + l) };
    const { metadata } = await openParquet(src);
    const offset = Number(metadata.row_groups[2].columns[0].meta_data!.data_page_offset);
    const damaged = Buffer.from(bytes);
    damaged.fill(0xff, offset, offset + 16);
    const path = join(dir, "damaged.parquet");
    writeFileSync(path, damaged);
    const e2 = await refusal(() => hashContainerSamples(path, "parquet"));
    expect(e2.code).to.equal("INPUT_INVALID");
    expect(e2.message).to.contain(`damaged.parquet: row group 2: column "id", page at byte ${offset}:`);
  });

  it("streams a row larger than the writer's buffer through the hash, to the hash of its whole text", async () => {
    const arrow = await import("apache-arrow");
    const big = new Uint8Array(3 << 20).map((_, i) => (i * 7) & 255);
    const bytes = writeParquet(new arrow.Table({ blob: arrow.vectorFromArray([big, Uint8Array.of(1)], new arrow.Binary()) }));
    const path = join(dir, "big.parquet");
    writeFileSync(path, bytes);
    const samples = await hashContainerSamples(path, "parquet");
    const text = `{"blob":{"$bytes":"${Buffer.from(big).toString("base64")}"}}`;
    expect(Buffer.from(samples.hashes.subarray(0, 32)).toString("hex")).to.equal(sha(text).toString("hex"));
  });

  it("hashes a Hugging Face folder as one dataset or one split, skipping the README", async () => {
    const hf = join(dir, "hf");
    mkdirSync(join(hf, "data"), { recursive: true });
    writeFileSync(join(hf, "README.md"), "---\nlicense: mit\n---\n");
    writeFileSync(join(hf, "data", "train-00000-of-00002.parquet"), writeParquet(textTable(30, 0)));
    writeFileSync(join(hf, "data", "train-00001-of-00002.parquet"), writeParquet(textTable(20, 30)));
    writeFileSync(join(hf, "data", "test-00000-of-00001.parquet"), writeParquet(textTable(10, 1000)));
    const all = await hashContainerSamples(hf, "parquet");
    expect(all.total).to.equal(60);
    expect(all.skippedEntries).to.deep.equal([{ path: "README.md", reason: "other-file" }]);
    expect(all.skipped.other).to.equal(1);
    const train = await hashContainerSamples(hf, "parquet", "train");
    expect(train.total).to.equal(50);
    // The train split is the same samples as one file holding its 50 rows.
    const whole = await commitFile(dir, "train-whole.parquet", writeParquet(textTable(50, 0)));
    expect(toHex(commitSamples(train).root)).to.equal(whole.root);
    const e = await refusal(() => hashContainerSamples(hf, "parquet", "validation"));
    expect(e.message).to.contain('has no files of split "validation": its splits are test, train');
  });

  it("hashes one row given to prove as JSON, in any member order and spelling, or by index, to the row's leaf", async () => {
    const bytes = writeParquet(nestedTable(), { rowGroupSize: 2 });
    const path = join(dir, "nested-prove.parquet");
    writeFileSync(path, bytes);
    const samples = await hashContainerSamples(path, "parquet");
    const leaf = (i: number) => toHex(samples.hashes.subarray(i * 32, i * 32 + 32));
    // Row 3 of nestedTable, typed by a person: other member order, whitespace and escapes.
    const typed = '{ "st": {"b": {"c": null}, "a": "\\u0079"}, "m": [["k", null]], "ls": [{"x": null}], "ll": [null, [3]], "l": [null] }';
    expect(toHex(await sampleHashOf({ rowJson: typed }, "parquet"))).to.equal(leaf(3));
    expect(toHex(await sampleHashOf({ row: 3, file: path }, "parquet"))).to.equal(leaf(3));
    expect(toHex(await sampleHashOf({ row: 0, file: path }, "parquet"))).to.equal(leaf(0));
    const e = await refusal(() => sampleHashOf({ row: 4, file: path }, "parquet"));
    expect(e.message).to.contain("has 4 rows (0 to 3): there is no row 4");
  });

  it("refuses a pasted row with a key twice, which JSON.parse would silently take the last of", async () => {
    // Attack: {"label": 0, "label": 1} reads as label 1 to JSON.parse and as label 0 to other parsers.
    const e = await refusal(() => sampleHashOf({ rowJson: '{"label": 0, "label": 1}' }, "parquet"));
    expect(e.message).to.contain('has the key "label" twice');
  });

  it("writes every rowJson vector's canonical text, and refuses the ones it refuses", () => {
    const vectors = JSON.parse(readFileSync(join(import.meta.dirname, "..", "vectors", "encodings-v2.json"), "utf8")).rowJson as Array<{
      input: string;
      canonical?: string;
      sample?: string;
      error?: string;
    }>;
    expect(vectors.length).to.be.greaterThan(10);
    for (const v of vectors) {
      if (v.error) {
        expect(() => canonicalRowFromJson(v.input), v.input).to.throw(ProvenantError, v.error.replace(/^the row JSON /, ""));
        continue;
      }
      const text = new TextDecoder().decode(canonicalRowFromJson(v.input));
      expect(text, v.input).to.equal(v.canonical);
      expect(toHex(sha(text))).to.equal(v.sample);
      // Canonical text is a fixed point.
      expect(new TextDecoder().decode(canonicalRowFromJson(text))).to.equal(text);
    }
  });
});
