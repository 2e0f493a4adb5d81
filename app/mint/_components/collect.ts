import { encodingOfName, isContainerEncoding } from "../../../core/dataset/encoding-table.ts";
import { encodingOfFileName, hiddenEntryOf, type SampleEncoding } from "../../../core/dataset/sample-hash.ts";
import type { FileEntry } from "../../_lib/hash-protocol.ts";

/** What the user picked, read into the encodings-v1 rules before hashing. */
export type Selection =
  | { kind: "folder"; name: string; entries: FileEntry[]; skippedHidden: number; bytes: number }
  | { kind: "records"; name: string; file: File; encoding: "jsonl" | "csv"; bytes: number };

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
  return { kind: "folder", name, entries, skippedHidden: hidden.size, bytes: entries.reduce((a, e) => a + e.file.size, 0) };
}

export function selectionFromFile(file: File): Selection | { error: string } {
  const encoding = encodingOfFileName(file.name);
  const container = encodingOfName(file.name);
  if (!encoding && container && isContainerEncoding(container)) {
    // Shards and Parquet files are hashed by the CLI (all cores, resumable); the dataset page proves their samples.
    return {
      error: `${file.name} is ${container === "parquet" ? "a Parquet file" : "a WebDataset shard"}: this page hashes folders, JSONL and CSV files. Mint it from a terminal: provenant dataset mint "${file.name}" --name <name> --license <spdx>`,
    };
  }
  if (!encoding) {
    return { error: `Cannot tell the encoding of ${file.name}: pick a folder (files), a .jsonl/.ndjson file (one sample per line), or a .csv file (one per record).` };
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
  return { kind: "folder", name: root.name, entries, skippedHidden, bytes: entries.reduce((a, e) => a + e.file.size, 0) };
}

export function encodingOf(s: Selection): SampleEncoding {
  return s.kind === "folder" ? "files" : s.encoding;
}
