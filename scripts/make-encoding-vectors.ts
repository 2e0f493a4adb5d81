/**
 * Writes test/vectors/encodings-v1.json: small JSONL, CSV and directory inputs at the edges of
 * docs/formats/encodings-v1.md (CRLF, empty records, a CR inside a line, NUL bytes, quoted newlines, doubled
 * quotes, an empty header, duplicates, hidden files), with every sample hash in input order and the root.
 * Computed by the JavaScript reference (PROVENANT_NATIVE=0); the native hasher and the scale pipeline are checked
 * against this file. Regenerate only when the encodings change (and then bump their version).
 *
 * And test/vectors/encodings-v2.json (docs/formats/encodings-v2.md): the v1 vectors, then WebDataset shards (their
 * members in tar order) and Parquet files (their bytes, written by parquet-wasm) with every sample's canonical
 * bytes, hash and the root, refusals by error code, and rows pasted as JSON with their canonical text.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { commitSamples } from "../core/dataset/commit.ts";
import { hashSamples, type Encoding } from "../core/dataset/encodings.ts";
import { hashContainerSamples, type ContainerEncoding } from "../core/dataset/formats/containers.ts";
import { canonicalRowFromJson } from "../core/dataset/formats/canonical-json.ts";
import { openParquet, readRowGroup } from "../core/dataset/formats/parquet-rows.ts";
import { SampleGrouper, utf8ByteString } from "../core/dataset/formats/webdataset.ts";
import { writeShard, type MemberSpec } from "./lib/shards.ts";
import { nestedTable, scalarsTable, temporalTable, textTable, writeParquet } from "./lib/parquet-tables.ts";
import { toHex } from "../core/hex.ts";
import { REPO } from "./lib/local-chain.ts";

export interface EncodingVector {
  name: string;
  encoding: Encoding;
  /** The file's text (jsonl, csv), or the directory's files by relative path (files). */
  input: string | Record<string, string>;
  expect: { samples: string[]; emptyRecords: number; n: number; root: string } | { error: string };
}

const cases: Omit<EncodingVector, "expect">[] = [
  { name: "jsonl lf", encoding: "jsonl", input: '{"a":1}\n{"b":2}\n' },
  { name: "jsonl crlf and empty lines", encoding: "jsonl", input: '{"a":1}\r\n\r\n\n{"b":2}\r\n' },
  { name: "jsonl no final line ending", encoding: "jsonl", input: '{"a":1}\n{"b":2}' },
  { name: "jsonl whitespace, a CR inside, a lone CR line", encoding: "jsonl", input: ' \n\t\n{"a":"x\ry"}\n\r\r\n\r' },
  { name: "jsonl NUL and UTF-8", encoding: "jsonl", input: 'a\u0000b\n{"é":"日本"}\n' },
  { name: "jsonl duplicates", encoding: "jsonl", input: "x\nx\ny\nx" },
  { name: "jsonl only empty lines", encoding: "jsonl", input: "\n\r\n\n" },
  { name: "csv header and records", encoding: "csv", input: "id,text\n1,a\n2,b\n" },
  { name: "csv quoted newlines and doubled quotes", encoding: "csv", input: 'id,text\r\n1,"line one\nline two"\r\n2,"say ""hi"""\r\n3,"a\r\nb"' },
  { name: "csv empty records", encoding: "csv", input: "h\n\n1\n\r\n2" },
  { name: "csv empty header", encoding: "csv", input: "\n1\n2\n" },
  { name: "csv quote inside an unquoted field", encoding: "csv", input: 'h\na"b,c\n"d\ne"\nf\n' },
  { name: "csv quote left open", encoding: "csv", input: 'h\n1,"open\n2\n' },
  {
    name: "files nested, hidden, empty, duplicate",
    encoding: "files",
    input: {
      "a.txt": "alpha",
      "b/c.bin": "\u0000\u0001\u0002",
      "b/.hidden": "skipped",
      ".git/config": "skipped",
      empty: "",
      dup1: "same",
      "d/dup2": "same",
      "e:colon name": "x",
    },
  },
];

/** Writes a vector's input under `dir` and returns the path to hash. */
export function materialize(v: Omit<EncodingVector, "expect">, dir: string): string {
  if (typeof v.input === "string") {
    const path = join(dir, v.encoding === "csv" ? "input.csv" : "input.jsonl");
    writeFileSync(path, v.input);
    return path;
  }
  const root = join(dir, "input");
  for (const [rel, text] of Object.entries(v.input)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

function expected(v: Omit<EncodingVector, "expect">): EncodingVector["expect"] {
  const dir = mkdtempSync(join(tmpdir(), "provenant-vectors-"));
  try {
    const samples = hashSamples(materialize(v, dir), v.encoding);
    const c = commitSamples(samples);
    const hex = Array.from({ length: samples.total }, (_, i) => toHex(samples.hashes.subarray(i * 32, i * 32 + 32)));
    return { samples: hex, emptyRecords: samples.skipped.emptyRecords, n: c.n, root: toHex(c.root) };
  } catch (e) {
    return { error: (e as { code?: string }).code ?? "INTERNAL" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- encodings-v2 ----------------------------------------------------------------------------------------

/** A file of a v2 vector's input: text, bytes (base64), or a shard's members in tar order. */
export type VectorFile = { path: string; text: string } | { path: string; base64: string } | { path: string; gzip?: boolean; members: MemberSpec[] };

export interface ContainerVector {
  name: string;
  encoding: ContainerEncoding;
  input: { files: VectorFile[]; split?: string };
  expect: { samples: string[]; n: number; root: string; canonical?: string[]; rows?: string[] } | { error: string; message: string };
}

const m = (name: string, bytes: string, extra: Partial<MemberSpec> = {}): MemberSpec => ({ name, bytes, ...extra });
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

const webdatasetCases: Omit<ContainerVector, "expect">[] = [
  {
    name: "webdataset two shards, one gzip, three members a sample",
    encoding: "webdataset",
    input: {
      files: [
        {
          path: "shard-000.tar",
          members: [m("000.jpg", "jpeg 0"), m("000.txt", "a cat"), m("000.json", '{"w":1}'), m("001.jpg", "jpeg 1"), m("001.txt", "a dog"), m("001.json", '{"w":2}')],
        },
        { path: "shard-001.tar.gz", gzip: true, members: [m("002.jpg", "jpeg 2"), m("002.txt", "a cow"), m("002.json", '{"w":3}')] },
      ],
    },
  },
  {
    name: "webdataset re-sharded: other member order, mtimes, shard split and compression, same samples",
    encoding: "webdataset",
    input: {
      files: [
        {
          path: "a.tar.gz",
          gzip: true,
          members: [
            m("x7.json", '{"w":3}', { mtime: new Date(1e12) }),
            m("x7.txt", "a cow"),
            m("x7.jpg", "jpeg 2"),
            m("x1.txt", "a dog"),
            m("x1.json", '{"w":2}'),
            m("x1.jpg", "jpeg 1"),
          ],
        },
        { path: "b.tar", members: [m("y/000.txt", "a cat"), m("y/000.jpg", "jpeg 0", { mtime: new Date(5e11) }), m("y/000.json", '{"w":1}')] },
      ],
    },
  },
  {
    name: "webdataset directories: entries skipped, part of keys; multi-dot extensions",
    encoding: "webdataset",
    input: {
      files: [
        {
          path: "s.tar",
          members: [{ name: "a/", type: "directory" }, m("a/000.seg.png", "mask"), m("a/000.png", "image"), { name: "b/", type: "directory" }, m("b/000.png", "image")],
        },
      ],
    },
  },
  {
    name: "webdataset duplicate samples, an empty member, README beside the shards",
    encoding: "webdataset",
    input: {
      files: [
        { path: "README.md", text: "not a shard" },
        { path: "s.tar", members: [m("1.txt", ""), m("2.txt", ""), m("3.txt", "x")] },
      ],
    },
  },
  { name: "webdataset refuses a repeated extension", encoding: "webdataset", input: { files: [{ path: "s.tar", members: [m("0.jpg", "a"), m("0.jpg", "b")] }] } },
  {
    name: "webdataset refuses extensions equal but for case",
    encoding: "webdataset",
    input: { files: [{ path: "s.tar", members: [m("0.JPG", "a"), m("0.jpg", "b")] }] },
  },
  {
    name: "webdataset refuses a key that comes back",
    encoding: "webdataset",
    input: { files: [{ path: "s.tar", members: [m("0.jpg", "a"), m("1.jpg", "b"), m("0.txt", "c")] }] },
  },
  {
    name: "webdataset refuses a key split between shards",
    encoding: "webdataset",
    input: {
      files: [
        { path: "s0.tar", members: [m("0.jpg", "a"), m("1.jpg", "b")] },
        { path: "s1.tar", members: [m("1.txt", "c"), m("2.txt", "d")] },
      ],
    },
  },
  { name: "webdataset refuses a member without extension", encoding: "webdataset", input: { files: [{ path: "s.tar", members: [m("README", "x")] }] } },
  {
    name: "webdataset refuses a symbolic link",
    encoding: "webdataset",
    input: { files: [{ path: "s.tar", members: [m("0.jpg", "a"), { name: "0.txt", type: "symlink", linkname: "0.jpg" }] }] },
  },
];

function parquetFile(path: string, bytes: Uint8Array): VectorFile {
  return { path, base64: b64(bytes) };
}

function parquetCases(): Omit<ContainerVector, "expect">[] {
  return [
    { name: "parquet scalars", encoding: "parquet", input: { files: [parquetFile("scalars.parquet", writeParquet(scalarsTable()))] } },
    {
      name: "parquet scalars rewritten: a row group a row, ZSTD, no dictionary, data page v2, same samples",
      encoding: "parquet",
      input: { files: [parquetFile("scalars.parquet", writeParquet(scalarsTable(), { rowGroupSize: 1, compression: "ZSTD", dictionary: false, pageV2: true }))] },
    },
    {
      name: "parquet dates, times, timestamps, decimals",
      encoding: "parquet",
      input: { files: [parquetFile("temporal.parquet", writeParquet(temporalTable(), { compression: "GZIP" }))] },
    },
    { name: "parquet lists, structs, maps", encoding: "parquet", input: { files: [parquetFile("nested.parquet", writeParquet(nestedTable(), { rowGroupSize: 3 }))] } },
    {
      name: "parquet Hugging Face folder, split train",
      encoding: "parquet",
      input: {
        split: "train",
        files: [
          { path: "README.md", text: "---\nconfigs: ...\n---" },
          parquetFile("data/train-00000-of-00002.parquet", writeParquet(textTable(3, 0))),
          parquetFile("data/train-00001-of-00002.parquet", writeParquet(textTable(2, 3))),
          parquetFile("data/test-00000-of-00001.parquet", writeParquet(textTable(2, 100))),
        ],
      },
    },
    { name: "parquet refuses a truncated file", encoding: "parquet", input: { files: [parquetFile("cut.parquet", writeParquet(textTable(4)).subarray(0, 300))] } },
  ];
}

/** Writes a v2 vector's files under `dir`; returns the path to hash (the directory, or its one file). */
export async function materializeV2(v: Omit<ContainerVector, "expect">, dir: string): Promise<string> {
  const root = join(dir, "input");
  for (const f of v.input.files) {
    const path = join(root, f.path);
    mkdirSync(dirname(path), { recursive: true });
    if ("members" in f) await writeShard(path, f.members, { gzip: f.gzip });
    else writeFileSync(path, "text" in f ? f.text : Buffer.from(f.base64, "base64"));
  }
  return v.input.files.length === 1 ? join(root, v.input.files[0].path) : root;
}

/** Each sample's canonical bytes, computed apart from the tar and Parquet readers' digests (and checked against them). */
async function canonicalOf(v: Omit<ContainerVector, "expect">, _path: string): Promise<{ canonical?: string[]; rows?: string[] }> {
  if (v.encoding === "webdataset") {
    const canonical: string[] = [];
    for (const f of v.input.files) {
      if (!("members" in f)) continue;
      const g = new SampleGrouper(f.path, (bytes) => canonical.push(Buffer.from(bytes).toString("hex")));
      f.members.forEach((mem, i) => {
        if ((mem.type ?? "file") === "file")
          g.add(
            utf8ByteString(mem.name),
            createHash("sha256")
              .update(mem.bytes ?? "")
              .digest(),
            i,
          );
      });
      g.end();
    }
    return { canonical };
  }
  const rows: string[] = [];
  const files = v.input.files.filter((f) => f.path.endsWith(".parquet") && (!v.input.split || f.path.includes(`/${v.input.split}-`)));
  for (const f of files) {
    const bytes = Buffer.from((f as { base64: string }).base64, "base64");
    const src = { name: f.path, size: bytes.length, read: (o: number, l: number) => bytes.subarray(o, o + l) };
    const { metadata, schema } = await openParquet(src);
    for (let g = 0; g < metadata.row_groups.length; g++) {
      await readRowGroup(src, metadata, schema, g, { onRow: (w) => rows.push(new TextDecoder().decode(w.result())) });
    }
  }
  return { rows };
}

async function expectedV2(v: Omit<ContainerVector, "expect">): Promise<ContainerVector["expect"]> {
  const dir = mkdtempSync(join(tmpdir(), "provenant-vectors-"));
  try {
    const samples = await hashContainerSamples(await materializeV2(v, dir), v.encoding, v.input.split);
    const c = commitSamples(samples);
    const hex = Array.from({ length: samples.total }, (_, i) => toHex(samples.hashes.subarray(i * 32, i * 32 + 32)));
    const extra = await canonicalOf(v, dir);
    const texts = extra.canonical?.map((h) => Buffer.from(h, "hex")) ?? extra.rows?.map((r) => Buffer.from(r));
    texts?.forEach((t, i) => {
      if (toHex(createHash("sha256").update(t).digest()) !== hex[i]) throw new Error(`${v.name}: sample ${i}'s canonical bytes do not hash to its sample hash`);
    });
    return { samples: hex, n: c.n, root: toHex(c.root), ...extra };
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (!err.code) throw e;
    return { error: err.code, message: err.message.replace(dir, "<dir>") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows pasted as JSON: the canonical text each must become, or the refusal. */
const rowJsonCases = [
  '{"b": 1, "a": [1.0, -0.0, 1e21, 2.5E-7, 12345678901234567890123]}',
  '{"text": "\u00e9\ud83d\ude00 / \u2028", "z": null, "y": true}',
  '{"img": {"bytes": {"$bytes": "AAEC/f7/"}, "path": "a.png"}, "$$price": {"$decimal": "-12.30"}}',
  '{"img": 1, "$price": 2}',
  '{"when": {"$timestamp": "2023-11-14T22:13:20.123456Z"}, "day": {"$date": "+010000-01-01"}, "t": {"$time": "01:02:03.004Z"}, "nan": {"$float": "NaN"}}',
  '{"m": [["k", 1], ["k", 2]], "id": {"$uuid": "0123abcd-0000-4000-8000-00000000abcd"}}',
  '{"a": 1, "a": 2}',
  '{"d": {"$date": "2024-02-30"}}',
  '{"d": {"$decimal": "-0.0"}}',
  '{"x": {"$bytes": "AAE"}}',
  '{"x": {"$float": "1.5"}}',
  '{"x": {"$nope": 1}}',
  '{"x": 1e400}',
  "[1, 2]",
];

function rowJsonVector(input: string) {
  try {
    const canonical = new TextDecoder().decode(canonicalRowFromJson(input));
    return { input, canonical, sample: toHex(createHash("sha256").update(canonical).digest()) };
  } catch (e) {
    return { input, error: (e as Error).message };
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.PROVENANT_NATIVE = "0";
  const vectors = cases.map((v) => ({ ...v, expect: expected(v) }));
  writeFileSync(join(REPO, "test", "vectors", "encodings-v1.json"), `${JSON.stringify({ format: "encodings-v1-vectors", vectors }, null, 2)}\n`);
  const v2: ContainerVector[] = [];
  for (const v of [...webdatasetCases, ...parquetCases()]) v2.push({ ...v, expect: await expectedV2(v) });
  const all = { format: "encodings-v2-vectors", vectors: [...vectors, ...v2], rowJson: rowJsonCases.map(rowJsonVector) };
  writeFileSync(join(REPO, "test", "vectors", "encodings-v2.json"), `${JSON.stringify(all, null, 2)}\n`);
  console.log(`wrote ${vectors.length} v1 vectors and ${v2.length + rowJsonCases.length} v2 vectors`);
}
