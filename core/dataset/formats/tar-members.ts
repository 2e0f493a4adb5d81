/**
 * A tar stream's members read with tar-stream and grouped into WebDataset samples (webdataset.ts), and the one line
 * a broken stream is refused with. Browser-safe: no node:* imports. The CLI feeds it a shard file through node's
 * streams (tar-shard.ts); a browser feeds it a File (hashTarBlob), so both read a `.tar` by the same rules.
 */
import tar from "tar-stream";
import { InputError } from "../../errors.ts";
import { sha256Stream, sha256Sync } from "../sample-hash.ts";
import { SampleGrouper, utf8ByteString } from "./webdataset.ts";

export interface ShardResult {
  samples: number;
  members: number;
  /** Bytes of the shard file as stored (compressed, for .tar.gz). */
  bytes: number;
  /** The shard's first and last keys (byte strings), for the check that no key spans two shards. */
  firstKey: string | null;
  lastKey: string | null;
}

/** A tar extractor that keeps names as raw bytes (latin1: one character per byte) and reads pre-POSIX (v7) headers, which carry no magic. */
export function tarExtract(): tar.Extract {
  // The options are missing from tar-stream's types.
  return tar.extract({ filenameEncoding: "latin1", allowUnknownFormat: true } as object);
}

/** A member's name as bytes (a byte string): ustar and GNU names are raw bytes, a pax `path` is UTF-8 (POSIX). */
function memberName(header: tar.Header): string {
  const pax = header.pax as { path?: string } | null | undefined;
  return pax?.path !== undefined ? utf8ByteString(header.name) : header.name;
}

/** The members read so far and the last one's name: where a broken stream broke. */
export interface TarPosition {
  members: number;
  lastName: string;
}

/**
 * Hashes the members `extract` emits and groups them into samples, handing each sample's SHA-256 and key (a byte
 * string) to `onSample` in shard order. `done` settles when the tar stream ends (or is refused); `end()` then emits the last sample. Members
 * stream through SHA-256, so memory stays small however large a member is.
 */
export function readTarSamples(
  extract: tar.Extract,
  where: string,
  onSample: (digest: Uint8Array, key: string) => void,
  onMember?: () => void,
  /** Stops the bytes flowing in once a member is refused (the CLI destroys its file stream). */
  abort: () => void = () => extract.destroy(),
): { done: Promise<void>; position: TarPosition; end(): Omit<ShardResult, "bytes"> } {
  const grouper = new SampleGrouper(where, (canonical, key) => onSample(sha256Sync(canonical), key));
  const position: TarPosition = { members: 0, lastName: "" };
  // tar-stream's entry events, not its async iterator: a member costs a third less (tens of µs each).
  const done = new Promise<void>((resolve, reject) => {
    const fail = (e: unknown) => {
      reject(e);
      abort();
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
        const shown = new TextDecoder().decode(Uint8Array.from(name, (c) => c.charCodeAt(0)));
        return fail(
          new InputError(
            "INPUT_INVALID",
            `${where}: member #${position.members} "${shown}"${at} is a ${h.type ?? "member of an unknown type"}: a WebDataset shard holds regular files only`,
          ),
        );
      }
      // Small members are hashed in one call; a big one streams through an incremental hash.
      const parts: Uint8Array[] = [];
      let held = 0;
      let incremental: ReturnType<typeof sha256Stream> | null = null;
      stream.on("data", (chunk) => {
        const data = chunk as Uint8Array;
        if (incremental) return void incremental.update(data);
        parts.push(data);
        held += data.length;
        if (held > 1 << 20) {
          incremental = sha256Stream();
          for (const p of parts) incremental.update(p);
          parts.length = 0;
        }
      });
      stream.on("end", () => {
        try {
          const digest = incremental ? incremental.digest() : sha256Sync(parts.length === 1 ? parts[0] : concat(parts, held));
          grouper.add(name, digest, position.members++);
          position.lastName = name;
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
  return {
    done,
    position,
    end() {
      grouper.end();
      return { samples: grouper.samples, members: grouper.memberCount, firstKey: grouper.firstKey, lastKey: grouper.lastKey };
    },
  };
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One line for a shard that cannot be read to its end: unreadable, not gzip, not tar, or cut short. */
export function tarStreamError(e: unknown, where: string, extract: tar.Extract, position: TarPosition): InputError {
  if (e instanceof InputError) return e;
  const err = e as Error & { code?: string };
  if (err.code === "ENOENT" || err.code === "EACCES" || err.code === "EISDIR" || err.code === "EIO") {
    return new InputError(err.code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", `cannot read ${where} (${err.code})`, { cause: e });
  }
  // tar-stream keeps the offset of the header it was reading; it is the tar stream's (after gunzip).
  const at = (extract as unknown as { _offset?: number })._offset;
  const last = new TextDecoder().decode(Uint8Array.from(position.lastName, (c) => c.charCodeAt(0)));
  const after = position.members > 0 ? `after member #${position.members - 1} "${last}"` : "before its first member";
  const where2 = typeof at === "number" ? ` at byte ${at} of the tar stream` : "";
  // Node's zlib names its failures Z_*; a browser's DecompressionStream throws a TypeError from the gzip stream.
  if (err.code?.startsWith("Z_") || err.name === "GzipError") {
    return new InputError("INPUT_INVALID", `${where}: the gzip stream is damaged or truncated (${err.message}), ${after}`, { cause: e });
  }
  if (/Unexpected end of data/.test(err.message))
    return new InputError("INPUT_INVALID", `${where}: the tar ends in the middle of a member, ${after}: truncated`, { cause: e });
  return new InputError("INPUT_INVALID", `${where}: not a valid tar${where2}, ${after} (${err.message})`, { cause: e });
}

/** Whether bytes start with the gzip magic: a shard is .tar or gzip-compressed .tar.gz/.tgz, told apart by its first bytes. */
export const isGzipHead = (head: Uint8Array): boolean => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

/**
 * Hashes every sample of a shard held in a Blob (a browser's File), gunzipping it first when it is gzip: what a
 * browser gives for a `.tar` holding one sample, or a shard of a dataset to mint. Returns the samples' SHA-256s
 * and keys (byte strings) in shard order.
 */
export async function hashTarBlob(blob: Blob, where: string): Promise<Array<{ digest: Uint8Array; key: string }>> {
  const digests: Array<{ digest: Uint8Array; key: string }> = [];
  const extract = tarExtract();
  const reading = readTarSamples(extract, where, (digest, key) => digests.push({ digest, key }));
  // tar-stream reports a broken stream as an error and as `done` rejecting: one answer is enough.
  reading.done.catch(() => {});
  const gzip = isGzipHead(new Uint8Array(await blob.slice(0, 2).arrayBuffer()));
  let bytes: ReadableStream<Uint8Array> = blob.stream();
  if (gzip) bytes = bytes.pipeThrough(new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  const reader = bytes.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw gzip ? Object.assign(new Error((e as Error).message), { name: "GzipError" }) : e;
      }
      if (chunk.done) break;
      if (!extract.write(chunk.value)) await Promise.race([new Promise<void>((r) => extract.once("drain", () => r())), reading.done]);
    }
    extract.end(undefined);
    await reading.done;
    reading.end();
  } catch (e) {
    void reader.cancel().catch(() => {});
    extract.destroy();
    throw tarStreamError(e, where, extract, reading.position);
  }
  return digests;
}
