/**
 * Writes WebDataset shards with tar-stream (the test vectors, the tests and the demo): members in the order
 * given, each with its own mtime, type and name; gzip-compressed when asked.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tar from "tar-stream";

export interface MemberSpec {
  name: string;
  bytes?: Uint8Array | string;
  type?: "file" | "directory" | "symlink" | "link";
  linkname?: string;
  /** A Date, or its ISO text (as test vectors hold it). */
  mtime?: Date | string;
}

export async function writeShard(path: string, members: readonly MemberSpec[], opts: { gzip?: boolean } = {}): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const pack = tar.pack();
  const out = createWriteStream(path);
  const written = opts.gzip ? pipeline(pack as unknown as NodeJS.ReadableStream, createGzip(), out) : pipeline(pack as unknown as NodeJS.ReadableStream, out);
  for (const m of members) {
    const header = { name: m.name, type: m.type ?? "file", linkname: m.linkname, mtime: new Date(m.mtime ?? 0), mode: m.type === "directory" ? 0o755 : 0o644 };
    if (header.type === "file") pack.entry(header, typeof m.bytes === "string" ? Buffer.from(m.bytes) : (m.bytes ?? new Uint8Array(0)));
    else pack.entry(header);
  }
  pack.finalize();
  await written;
}
