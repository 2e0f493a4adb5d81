/**
 * The one table of sample encodings (docs/formats/encodings-v1.md, encodings-v2.md): their names, what input
 * each takes, and the file names that imply one. Browser-safe: no node:* imports. The CLI (encodings.ts), the
 * manifest check (manifest.ts) and the app (sample-hash.ts) all read this table.
 */

export interface EncodingRule {
  /** What the encoding hashes, as help text says it. */
  input: string;
  /** File name endings (lower case) that imply this encoding for a file given on its own. */
  fileEndings: readonly string[];
  /** Also takes a directory of such files (with --format): every one of them is part of the dataset. */
  directory: boolean;
  /** Since which version of the encodings document. */
  since: 1 | 2;
}

export const ENCODING_TABLE = {
  files: { input: "every regular file under a directory", fileEndings: [], directory: true, since: 1 },
  jsonl: { input: "each non-empty line of a .jsonl file", fileEndings: [".jsonl", ".ndjson"], directory: false, since: 1 },
  csv: { input: "each record after the header of a .csv file", fileEndings: [".csv"], directory: false, since: 1 },
  webdataset: {
    input: "each key's members in .tar or .tar.gz shards (a shard, or a directory of shards)",
    fileEndings: [".tar", ".tar.gz", ".tgz"],
    directory: true,
    since: 2,
  },
  parquet: {
    input: "each row of a .parquet file (a file, or a directory such as a Hugging Face dataset)",
    fileEndings: [".parquet"],
    directory: true,
    since: 2,
  },
} as const satisfies Record<string, EncodingRule>;

export type Encoding = keyof typeof ENCODING_TABLE;
export const ENCODINGS = Object.keys(ENCODING_TABLE) as Encoding[];

/** The encodings the dApp hashes in the browser today (a folder, a JSONL or CSV file). */
export const BROWSER_ENCODINGS = ["files", "jsonl", "csv"] as const satisfies readonly Encoding[];
export type BrowserEncoding = (typeof BROWSER_ENCODINGS)[number];

/** The encodings whose samples live inside container files (tar shards, Parquet row groups): hashed by units of those. */
export const CONTAINER_ENCODINGS = ["webdataset", "parquet"] as const satisfies readonly Encoding[];
export type ContainerEncoding = (typeof CONTAINER_ENCODINGS)[number];
export const isContainerEncoding = (e: string): e is ContainerEncoding => (CONTAINER_ENCODINGS as readonly string[]).includes(e);

/** The encodings whose samples are records of one file, split by line endings. */
export type RecordEncoding = "jsonl" | "csv";

export const isEncoding = (value: unknown): value is Encoding => typeof value === "string" && Object.hasOwn(ENCODING_TABLE, value);

/** The encoding a file name implies among `among` (default: all), or null; a directory implies `files` elsewhere. */
export function encodingOfName<E extends Encoding>(name: string, among: readonly E[] = ENCODINGS as E[]): E | null {
  const lower = name.toLowerCase();
  for (const e of among) if (ENCODING_TABLE[e].fileEndings.some((end) => lower.endsWith(end))) return e;
  return null;
}

/** "a .jsonl/.ndjson file (jsonl), ..." for messages that list what a path can be. */
export function describeFileEndings(): string {
  return ENCODINGS.filter((e) => ENCODING_TABLE[e].fileEndings.length > 0)
    .map((e) => `${ENCODING_TABLE[e].fileEndings.join("/")} (${e})`)
    .join(", ");
}
