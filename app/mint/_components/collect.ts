import { CONTAINER_ENCODINGS, encodingOfName, isContainerEncoding, type ContainerEncoding, type Encoding } from "../../../core/dataset/encoding-table.ts";
import { encodingOfFileName, hiddenEntryOf } from "../../../core/dataset/sample-hash.ts";
import type { FileEntry } from "../../_lib/hash-protocol.ts";

/**
 * What the user picked, read into the encodings' rules before hashing. A folder is a `files` dataset, or (as
 * `dataset mint --format` reads one) WebDataset shards or Parquet files, such as a Hugging Face folder with
 * data/*.parquet: `containers` lists the kinds it holds, `encoding` the one chosen.
 */
export type Selection =
  | {
      kind: "folder";
      name: string;
      entries: FileEntry[];
      skippedHidden: number;
      bytes: number;
      containers: ContainerEncoding[];
      encoding: "files" | ContainerEncoding;
    }
  | { kind: "records"; name: string; file: File; encoding: "jsonl" | "csv"; bytes: number }
  | { kind: "container"; name: string; file: File; encoding: ContainerEncoding; bytes: number };

/** A folder's selection: the container kinds among its files, and the one it is read as by default (the only one, else files). */
function folder(name: string, entries: FileEntry[], skippedHidden: number): Selection {
  const containers = CONTAINER_ENCODINGS.filter((e) => entries.some((x) => encodingOfName(x.path) === e));
  return {
    kind: "folder",
    name,
    entries,
    skippedHidden,
    bytes: entries.reduce((a, e) => a + e.file.size, 0),
    containers,
    encoding: containers.length === 1 ? containers[0] : "files",
  };
}

/** From <input webkitdirectory>: paths arrive as "folder/sub/file"; the first segment is the folder itself. */
export function selectionFromInput(files: FileList): Selection | null {
  const list = Array.from(files);
  if (list.length === 0) return null;
  const name = list[0].webkitRelativePath.split("/")[0] || "folder";
  const hidden = new Set<string>();
  const entries: FileEntry[] = [];
  for (const file of list) {
    const path = file.webkitRelativePath.split("/").slice(1).join("/") || file.name;
    const h = hiddenEntryOf(path);
    if (h) hidden.add(h);
    else entries.push({ file, path });
  }
  return folder(name, entries, hidden.size);
}

export function selectionFromFile(file: File): Selection | { error: string } {
  const encoding = encodingOfFileName(file.name);
  const container = encodingOfName(file.name);
  if (!encoding && container && isContainerEncoding(container)) return { kind: "container", name: file.name, file, encoding: container, bytes: file.size };
  if (!encoding) {
    return {
      error: `Cannot tell the encoding of ${file.name}: pick a folder (files, WebDataset shards or Parquet files), a .jsonl/.ndjson file (one sample per line), a .csv file (one per record), a .tar/.tar.gz WebDataset shard (one per key) or a .parquet file (one per row).`,
    };
  }
  return { kind: "records", name: file.name, file, encoding: encoding as "jsonl" | "csv", bytes: file.size };
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) return resolve(out);
        out.push(...batch);
        next();
      }, reject);
    next();
  });
}

/** A dropped folder, walked like the CLI walks a directory: hidden entries are skipped (and counted) whole. */
export async function selectionFromDroppedFolder(root: FileSystemDirectoryEntry): Promise<Selection> {
  const entries: FileEntry[] = [];
  let skippedHidden = 0;
  const walk = async (dir: FileSystemDirectoryEntry, prefix: string) => {
    for (const entry of await readAll(dir.createReader())) {
      if (entry.name.startsWith(".")) {
        skippedHidden++;
        continue;
      }
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(entry as FileSystemDirectoryEntry, path);
      else if (entry.isFile) {
        const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
        entries.push({ file, path });
      }
    }
  };
  await walk(root, "");
  return folder(root.name, entries, skippedHidden);
}

export function encodingOf(s: Selection): Encoding {
  return s.encoding;
}

/** What one sample is under the selection's encoding, as the page says it. */
export const SAMPLE_WORDS: Record<Encoding, string> = {
  files: "each file's bytes are a sample",
  jsonl: "each non-empty line is a sample",
  csv: "each record after the header is a sample",
  webdataset: "each key's files in the .tar shards are a sample",
  parquet: "each row of the .parquet files is a sample",
};
