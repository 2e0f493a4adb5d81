/**
 * Writes test/vectors/encodings-v1.json: small JSONL, CSV and directory inputs at the edges of
 * docs/formats/encodings-v1.md (CRLF, empty records, a CR inside a line, NUL bytes, quoted newlines, doubled
 * quotes, an empty header, duplicates, hidden files), with every sample hash in input order and the root.
 * Computed by the JavaScript reference (PROVENANT_NATIVE=0); the native hasher and the scale pipeline are checked
 * against this file. Regenerate only when the encodings change (and then bump their version).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { commitSamples } from "../core/dataset/commit.ts";
import { hashSamples, type Encoding } from "../core/dataset/encodings.ts";
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
    input: { "a.txt": "alpha", "b/c.bin": "\u0000\u0001\u0002", "b/.hidden": "skipped", ".git/config": "skipped", empty: "", dup1: "same", "d/dup2": "same", "e:colon name": "x" },
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

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.PROVENANT_NATIVE = "0";
  const vectors = cases.map((v) => ({ ...v, expect: expected(v) }));
  writeFileSync(join(REPO, "test", "vectors", "encodings-v1.json"), `${JSON.stringify({ format: "encodings-v1-vectors", vectors }, null, 2)}\n`);
  console.log(`wrote ${vectors.length} vectors`);
}
