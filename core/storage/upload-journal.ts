import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { StorageError } from "../errors.ts";
import { parseCid } from "./cid.ts";
import { checkVersioned } from "../versioned-json.ts";

/**
 * The resumable-upload journal: the CIDs a remote node has confirmed (answered with the same CID), one JSON line
 * each, appended as each upload completes. An interrupted run leaves the confirmed ones here, so a re-run uploads
 * only what is missing. One file per upload endpoint: an upload to a test stand-in never counts for Lighthouse.
 *
 *   {"format":"provenant-upload-journal-v1","node":"https://upload.lighthouse.storage"}
 *   {"cid":"bafk...","bytes":2097152,"at":"2025-01-01T00:00:00.000Z"}
 */
export const UPLOAD_JOURNAL_FORMAT = "provenant-upload-journal-v1";

export interface JournalEntry {
  cid: string;
  bytes: number;
  at: string;
}

export function journalPath(dataDir: string, node: string): string {
  const id = createHash("sha256").update(node).digest("hex").slice(0, 16);
  return join(dataDir, "lighthouse", `uploads-${id}.jsonl`);
}

export class UploadJournal {
  readonly path: string;
  readonly node: string;
  readonly #entries = new Map<string, JournalEntry>();
  /** The file holds not even a whole header line: the next entry rewrites it. */
  #fresh = true;

  constructor(path: string, node: string) {
    this.path = path;
    this.node = node;
    if (existsSync(path)) this.#load();
  }

  #load(): void {
    const text = readFileSync(this.path, "utf8");
    if (!text.includes("\n")) return;
    this.#fresh = false;
    // A crash mid-append leaves a partial last line: that upload is simply not confirmed. Cut it off.
    if (!text.endsWith("\n")) truncateSync(this.path, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
    const lines = text.slice(0, text.lastIndexOf("\n")).split("\n");
    const advice = "delete it and the next run uploads everything again";
    const bad = (why: string) => new StorageError("STORAGE_CORRUPT", `the upload journal ${this.path} is damaged (${why}): ${advice}`);
    let first: unknown;
    try {
      first = JSON.parse(lines[0]);
    } catch {
      throw bad("no header line");
    }
    const { value: header } = checkVersioned(first, `the upload journal ${this.path}`, UPLOAD_JOURNAL_FORMAT, { code: "STORAGE_CORRUPT", advice });
    if (header.node !== this.node) throw bad(`it is for ${String(header.node)}, not ${this.node}`);
    for (let i = 1; i < lines.length; i++) {
      if (lines[i] === "") continue;
      let entry: JournalEntry;
      try {
        const e = JSON.parse(lines[i]) as JournalEntry;
        entry = { cid: parseCid(e.cid), bytes: Number(e.bytes), at: String(e.at) };
      } catch {
        throw bad(`line ${i + 1} is not an entry`);
      }
      this.#entries.set(entry.cid, entry);
    }
  }

  has(cid: string): boolean {
    return this.#entries.has(parseCid(cid));
  }

  get(cid: string): JournalEntry | null {
    return this.#entries.get(parseCid(cid)) ?? null;
  }

  get size(): number {
    return this.#entries.size;
  }

  record(cid: string, bytes: number): void {
    const entry = { cid: parseCid(cid), bytes, at: new Date().toISOString() };
    try {
      if (this.#fresh) {
        mkdirSync(dirname(this.path), { recursive: true });
        writeFileSync(this.path, `${JSON.stringify({ format: UPLOAD_JOURNAL_FORMAT, node: this.node })}\n`);
        this.#fresh = false;
      }
      appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
    } catch (e) {
      throw new StorageError("STORAGE_UNREACHABLE", `cannot write the upload journal ${this.path}`, { cause: e });
    }
    this.#entries.set(entry.cid, entry);
  }
}
