/**
 * Reads one WebDataset shard (.tar, or gzip-compressed .tar.gz/.tgz, told apart by its first bytes) with tar-stream
 * and hashes its samples (webdataset.ts). Member bytes stream through SHA-256, so memory stays small however large a
 * member or a shard is. Every refusal names the shard and the member, or the byte where the tar stream breaks.
 */
import { createHash, hash } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { InputError } from "../../errors.ts";
import { SampleGrouper } from "./webdataset.ts";

export interface ShardResult {
  samples: number;
  members: number;
  /** Bytes of the shard file as stored (compressed, for .tar.gz). */
  bytes: number;
  /** The shard's first and last keys (byte strings), for the check that no key spans two shards. */
  firstKey: string | null;
  lastKey: string | null;
}

const sha256 = (b: Uint8Array) => hash("sha256", b, "buffer") as unknown as Buffer;

/** Whether the file starts with the gzip magic bytes. */
function isGzip(path: string | Buffer): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** A member's name as bytes (a byte string): ustar and GNU names are raw bytes, a pax `path` is UTF-8 (POSIX). */
function memberName(header: tar.Header): string {
  const pax = header.pax as { path?: string } | null | undefined;
  return pax?.path !== undefined ? Buffer.from(header.name, "utf8").toString("latin1") : header.name;
}

/**
 * Hashes every sample of the shard at `path` (a path or its bytes), handing each sample's SHA-256 to `onSample` in
 * shard order. `where` names the shard in messages.
 */
export async function hashShard(path: string | Buffer, where: string, onSample: (digest: Uint8Array) => void, onMember?: () => void): Promise<ShardResult> {
  let gzip: boolean;
  try {
    gzip = isGzip(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", `cannot read ${where} (${code ?? "error"})`, { cause: e });
  }
  const grouper = new SampleGrouper(where, (canonical) => onSample(sha256(canonical)));
  // Names as raw bytes (latin1: one character per byte); pre-POSIX (v7) headers too, which carry no magic. The
  // options are missing from tar-stream's types.
  const extract = tar.extract({ filenameEncoding: "latin1", allowUnknownFormat: true } as object);
  const source = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  source.on("data", (chunk) => (bytes += chunk.length));
  const streams: Array<Readable | NodeJS.WritableStream> = gzip ? [source, createGunzip(), extract] : [source, extract];
  let index = 0;
  let lastName = "";
  // tar-stream's entry events, not its async iterator: a member costs a third less (tens of µs each).
  const members = new Promise<void>((resolve, reject) => {
    const fail = (e: unknown) => {
      reject(e);
      source.destroy();
    };
    extract.on("entry", (header, stream, next) => {
      const h = header as tar.Header & { type: string | null; byteOffset?: number };
      if (h.type === "directory") {
        // Directories carry no bytes; their path is part of their members' keys.
        stream.on("end", next);
        stream.resume();
        return;
      }
      const name = memberName(h);
      if (h.type !== "file" && h.type !== "contiguous-file") {
        const at = h.byteOffset ? ` (header at byte ${h.byteOffset - 512})` : "";
        return fail(new InputError("INPUT_INVALID", `${where}: member #${index} "${Buffer.from(name, "latin1").toString()}"${at} is a ${h.type ?? "member of an unknown type"}: a WebDataset shard holds regular files only`));
      }
      // Small members are hashed in one call; a big one streams through an incremental hash.
      const parts: Buffer[] = [];
      let held = 0;
      let incremental: ReturnType<typeof createHash> | null = null;
      stream.on("data", (data) => {
        const chunk = data as Buffer;
        if (incremental) return void incremental.update(chunk);
        parts.push(chunk);
        held += chunk.length;
        if (held > 1 << 20) {
          incremental = createHash("sha256");
          for (const p of parts) incremental.update(p);
          parts.length = 0;
        }
      });
      stream.on("end", () => {
        try {
          const digest = incremental ? incremental.digest() : sha256(parts.length === 1 ? parts[0] : Buffer.concat(parts));
          grouper.add(name, digest, index++);
          lastName = name;
          onMember?.();
          next();
        } catch (e) {
          fail(e);
        }
      });
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  try {
    await Promise.all([pipeline(streams as [Readable, NodeJS.WritableStream]), members]);
    grouper.end();
  } catch (e) {
    source.destroy();
    if (e instanceof InputError) throw e;
    throw streamError(e, where, extract, index, lastName);
  }
  return { samples: grouper.samples, members: grouper.memberCount, bytes, firstKey: grouper.firstKey, lastKey: grouper.lastKey };
}

/** One line for a shard that cannot be read to its end: unreadable, not gzip, not tar, or cut short. */
function streamError(e: unknown, where: string, extract: tar.Extract, members: number, lastName: string): InputError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === "ENOENT" || err.code === "EACCES" || err.code === "EISDIR" || err.code === "EIO") {
    return new InputError(err.code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", `cannot read ${where} (${err.code})`, { cause: e });
  }
  // tar-stream keeps the offset of the header it was reading; it is the tar stream's (after gunzip).
  const at = (extract as unknown as { _offset?: number })._offset;
  const after = members > 0 ? `after member #${members - 1} "${Buffer.from(lastName, "latin1").toString()}"` : "before its first member";
  const where2 = typeof at === "number" ? ` at byte ${at} of the tar stream` : "";
  if (err.code?.startsWith("Z_")) return new InputError("INPUT_INVALID", `${where}: the gzip stream is damaged or truncated (${err.message}), ${after}`, { cause: e });
  if (/Unexpected end of data/.test(err.message)) return new InputError("INPUT_INVALID", `${where}: the tar ends in the middle of a member, ${after}: truncated`, { cause: e });
  return new InputError("INPUT_INVALID", `${where}: not a valid tar${where2}, ${after} (${err.message})`, { cause: e });
}
