/**
 * Reads one WebDataset shard file (.tar, or gzip-compressed .tar.gz/.tgz, told apart by its first bytes) and hashes
 * its samples (tar-members.ts, webdataset.ts). Member bytes stream through SHA-256, so memory stays small however
 * large a member or a shard is. Every refusal names the shard and the member, or the byte where the tar stream breaks.
 */
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { InputError } from "../../errors.ts";
import { isGzipHead, readTarSamples, tarExtract, tarStreamError, type ShardResult } from "./tar-members.ts";

export type { ShardResult } from "./tar-members.ts";

/** Whether the file starts with the gzip magic bytes. */
function isGzip(path: string | Buffer): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(2);
    return isGzipHead(head.subarray(0, readSync(fd, head, 0, 2, 0)));
  } finally {
    closeSync(fd);
  }
}

/**
 * Hashes every sample of the shard at `path` (a path or its bytes), handing each sample's SHA-256 and key to
 * `onSample` in shard order. `where` names the shard in messages.
 */
export async function hashShard(path: string | Buffer, where: string, onSample: (digest: Uint8Array, key: string) => void, onMember?: () => void): Promise<ShardResult> {
  let gzip: boolean;
  try {
    gzip = isGzip(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", `cannot read ${where} (${code ?? "error"})`, { cause: e });
  }
  const extract = tarExtract();
  const source = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  source.on("data", (chunk) => (bytes += chunk.length));
  const streams: Array<Readable | NodeJS.WritableStream> = gzip ? [source, createGunzip(), extract] : [source, extract];
  const reading = readTarSamples(extract, where, onSample, onMember, () => source.destroy());
  let counts: Omit<ShardResult, "bytes">;
  try {
    await Promise.all([pipeline(streams as [Readable, NodeJS.WritableStream]), reading.done]);
    counts = reading.end();
  } catch (e) {
    source.destroy();
    throw tarStreamError(e, where, extract, reading.position);
  }
  return { ...counts, bytes };
}
