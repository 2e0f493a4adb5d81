import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatasetEmptyError, InputError } from "../../errors.ts";
import { parseVersionedJson } from "../../versioned-json.ts";
import { detectEncoding, emptySkippedCounts, inputError, type Encoding, type RecordRange, type SkippedCounts } from "../encodings.ts";
import type { SkippedEntry } from "../skipped.ts";
import { countSkipped, isContainerEncoding, listContainerFiles, parquetFileMetadata, type ContainerEncoding } from "../formats/containers.ts";
import { walkFilesWithSizes } from "../sized-walk.ts";

/**
 * A dataset's work plan: deterministic units that any process or machine can hash independently.
 * `files`: consecutive files of the sorted walk, at most 4,096 files or 64 MiB per unit (a bigger file alone). `jsonl`/`csv`: byte ranges, each record
 * belonging to the range holding its first byte. The plan hash names the work (encoding, file list or size),
 * so parts hashed on different machines can be checked to belong together before they are combined.
 * `webdataset`: one unit per shard; `parquet`: one unit per row group (both read in bounded memory however big).
 * Unit sizes depend on the input only, never on the worker count, so every machine of a split run plans alike.
 */
export const FILES_PER_UNIT = 4096;
export const BYTES_PER_UNIT = 64 << 20;
/** Record files split into about this many ranges (1 to 64 MiB each): enough to keep a few dozen workers even. */
export const RECORD_UNITS = 32;
const MIN_RECORD_UNIT_BYTES = 1 << 20;

function recordUnitBytes(fileSize: number, cap: number): number {
  if (process.env.PROVENANT_UNIT_BYTES) return cap;
  const share = Math.ceil(fileSize / RECORD_UNITS / 65536) * 65536;
  return Math.min(cap, Math.max(MIN_RECORD_UNIT_BYTES, share));
}

/** Unit sizes; the environment may shrink them (tests split small inputs). They are part of the plan hash. */
function unitSizes() {
  const env = (k: string, d: number) => {
    const v = Number(process.env[k]);
    return Number.isSafeInteger(v) && v > 0 ? v : d;
  };
  return { files: env("PROVENANT_UNIT_FILES", FILES_PER_UNIT), bytes: env("PROVENANT_UNIT_BYTES", BYTES_PER_UNIT) };
}
export const PLAN_FORMAT = "provenant-plan-v1";

/**
 * A files unit's list: `<size>:<path>` items joined by NUL, paths relative and raw bytes (a name holds no NUL).
 * A container unit names its file by absolute path (a byte string) and, for messages, by its text form.
 */
export type UnitSpec =
  | { kind: "files"; list: string; count: number }
  | ({ kind: "range" } & RecordRange)
  | { kind: "shard"; path: string; name: string; bytes: number }
  | { kind: "rowgroup"; path: string; name: string; rowGroup: number; rows: number; bytes: number };

export interface Plan {
  format: typeof PLAN_FORMAT;
  input: string;
  encoding: Encoding;
  planHash: string;
  units: UnitSpec[];
  /** Entries the file walk skipped (files encoding); record encodings count their own while hashing. */
  skipped: SkippedCounts;
  /** The entries behind `skipped` (files encoding), in walk order; part of the plan hash. */
  skippedEntries: SkippedEntry[];
  bytes: number;
}

export interface PlanOptions {
  /** Parquet or WebDataset directory: only the files of this split (docs/formats/encodings-v2.md). */
  split?: string;
}

export function makePlan(input: string, encoding: Encoding | undefined, workDir: string, opts: PlanOptions = {}): Plan {
  const abs = resolve(input);
  const enc = encoding ?? detectEncoding(abs);
  if (opts.split !== undefined && !isContainerEncoding(enc))
    throw new InputError("INPUT_INVALID", `a split picks files of a webdataset or parquet directory, not of ${enc}`);
  let skipped = emptySkippedCounts();
  let skippedEntries: SkippedEntry[] = [];
  const size = unitSizes();
  const h = createHash("sha256").update(`${PLAN_FORMAT}\0${enc}\0${size.files}\0${size.bytes}\0`);
  if (isContainerEncoding(enc)) return planContainers(input, abs, enc, opts.split, h);
  const units: UnitSpec[] = [];
  let bytes = 0;
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    throw inputError(input, e);
  }
  if (enc === "files") {
    if (!st.isDirectory()) throw new InputError("INPUT_INVALID", `${input} is not a directory: the files encoding hashes every file under a directory`);
    const walk = walkFilesWithSizes(abs);
    ({ skipped, skippedEntries } = walk);
    const files = walk.files;
    if (files.length === 0) throw new DatasetEmptyError(input);
    mkdirSync(join(workDir, "lists"), { recursive: true });
    // A unit closes at `size.files` files or `size.bytes` bytes, so a few big files still spread over cores.
    let slice: string[] = [];
    let sliceBytes = 0;
    const close = () => {
      // Byte strings (FileWalk): written and hashed as latin1, so every name keeps its exact bytes.
      const text = slice.join("\0");
      // Count-prefixed, so unit boundaries are part of the plan hash as well as names and sizes.
      h.update(`${slice.length}:`).update(text, "latin1").update("\0");
      const list = join(workDir, "lists", `unit-${units.length}.list`);
      writeFileSync(list, text, "latin1");
      units.push({ kind: "files", list, count: slice.length });
      slice = [];
      sliceBytes = 0;
    };
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      const fileBytes = walk.sizes[i];
      if (slice.length > 0 && (slice.length === size.files || sliceBytes + fileBytes > size.bytes)) close();
      // "<size>:<path>": workers then read each file with one call, without an fstat.
      slice.push(`${fileBytes}:${f}`);
      sliceBytes += fileBytes;
      bytes += fileBytes;
    }
    close();
    // Parts hashed while an entry appeared or went would disagree on what was left out: they must not combine.
    h.update(`skipped:${skippedEntries.length}\0`);
    for (const e of skippedEntries) h.update(`${e.reason}\0${e.path}\0`);
  } else {
    if (!st.isFile()) throw new InputError("INPUT_INVALID", `${input} is not a file: the ${enc} encoding reads one file`);
    bytes = st.size;
    const unitBytes = recordUnitBytes(st.size, size.bytes);
    h.update(`${st.size}\0${unitBytes}`);
    const parity = enc === "csv" ? quoteParity(abs, st.size, unitBytes) : null;
    for (let start = 0; start < Math.max(1, st.size); start += unitBytes) {
      const end = Math.min(st.size, start + unitBytes);
      units.push({ kind: "range", start, end, inQuotes: start > 0 && parity ? parity(start - 1) : false });
    }
  }
  return { format: PLAN_FORMAT, input: abs, encoding: enc, planHash: h.digest("hex"), units, skipped, skippedEntries, bytes };
}

/**
 * A container dataset's units: a shard each, or a row group each (footers are read now, so a truncated or
 * unsupported file is refused before any hashing). The plan hash covers the split, every file's name and size,
 * and every row group's row count, and the entries skipped.
 */
function planContainers(input: string, abs: string, enc: ContainerEncoding, split: string | undefined, h: ReturnType<typeof createHash>): Plan {
  const { files, skippedEntries } = listContainerFiles(abs, enc, split);
  if (files.length === 0) throw new DatasetEmptyError(input);
  const skipped = countSkipped(skippedEntries);
  h.update(`split:${split ?? ""}\0files:${files.length}\0`);
  const units: UnitSpec[] = [];
  let bytes = 0;
  for (const f of files) {
    h.update(`${f.rel}\0${f.size}\0`);
    bytes += f.size;
    if (enc === "webdataset") {
      units.push({ kind: "shard", path: f.path, name: f.name, bytes: f.size });
      continue;
    }
    const groups = parquetFileMetadata(f).row_groups;
    h.update(`groups:${groups.length}\0`);
    let fileBytes = f.size; // counted once, by the file's first unit: the manifest's bytes are the files'
    groups.forEach((rg, g) => {
      const rows = Number(rg.num_rows);
      h.update(`${rows}\0`);
      if (rows > 0) units.push({ kind: "rowgroup", path: f.path, name: f.name, rowGroup: g, rows, bytes: fileBytes });
      if (rows > 0) fileBytes = 0;
    });
  }
  h.update(`skipped:${skippedEntries.length}\0`);
  for (const e of skippedEntries) h.update(`${e.reason}\0${e.path}\0`);
  return { format: PLAN_FORMAT, input: abs, encoding: enc, planHash: h.digest("hex"), units, skipped, skippedEntries, bytes };
}

/**
 * For CSV byte ranges: whether byte `pos` lies inside quotes, from the parity of the quotes before it.
 * One sequential pass with indexOf (memchr speed); the answers for range starts are kept.
 */
function quoteParity(path: string, size: number, unitBytes: number): (pos: number) => boolean {
  const starts = new Map<number, boolean>();
  for (let s = unitBytes; s < size; s += unitBytes) starts.set(s - 1, false);
  const wanted = [...starts.keys()];
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(16 << 20);
  let odd = false;
  let next = 0;
  try {
    for (let off = 0; off < size && next < wanted.length;) {
      const got = readSync(fd, buf, 0, buf.length, off);
      if (got === 0) break;
      let i = 0;
      for (;;) {
        // Record the parity of quotes strictly before each wanted position inside this chunk.
        const limit = next < wanted.length && wanted[next] < off + got ? wanted[next] - off : got;
        for (let q = buf.indexOf(0x22, i); q >= 0 && q < limit; q = buf.indexOf(0x22, q + 1)) odd = !odd;
        if (limit === got) break;
        starts.set(wanted[next++], odd);
        i = limit;
      }
      off += got;
    }
  } finally {
    closeSync(fd);
  }
  return (pos) => starts.get(pos) ?? false;
}

export function savePlan(plan: Plan, workDir: string): void {
  mkdirSync(workDir, { recursive: true });
  const tmp = join(workDir, "plan.json.tmp");
  writeFileSync(tmp, JSON.stringify(plan));
  renameSync(tmp, join(workDir, "plan.json"));
}

/** The plan saved in `workDir`, or null when there is none; a damaged one, or one of another version, throws. */
export function loadPlan(workDir: string): Plan | null {
  const path = join(workDir, "plan.json");
  if (!existsSync(path)) return null;
  return parseVersionedJson(readFileSync(path), path, PLAN_FORMAT).value as unknown as Plan;
}

/** Units of part i of N: a contiguous block, so every unit is in exactly one part. */
export function unitsOfPart(unitCount: number, part: number, parts: number): number[] {
  const from = Math.floor((part * unitCount) / parts);
  const to = Math.floor(((part + 1) * unitCount) / parts);
  return Array.from({ length: to - from }, (_, k) => from + k);
}
