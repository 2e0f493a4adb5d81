import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";
import { InputError } from "../errors.ts";

/**
 * The CID Kubo (`ipfs add --cid-version 1`) and Lighthouse give the same bytes: UnixFS, CIDv1,
 * raw leaves, 256 KiB fixed chunks, balanced DAG of at most 174 links per node, a single chunk
 * reduced to its raw leaf. Blocks are discarded: stores keep whole contents keyed by this CID.
 */
const discard = { put: async (cid: CID) => cid };

/** SHA-256 of one raw leaf, resolved once the bytes are hashed; the caller leaves them alone until then. */
export type LeafDigest = (chunk: Uint8Array) => Promise<Uint8Array>;
let leafDigest: LeafDigest | null = null;

/**
 * Plugs in another SHA-256 for raw leaves (the dataset layer's native hasher, which hashes on the thread pool
 * without copying): the same digests, so the same CIDs, while the thread storing a dataset's shards goes on.
 */
export function useLeafDigest(digest: LeafDigest | null): void {
  leafDigest = digest;
}

/** The importer's raw leaves (CIDv1, raw codec, sha2-256), as its own buffer importer makes them, hashed by leafDigest. */
async function* rawLeaves(file: { content: AsyncIterable<Uint8Array> }) {
  for await (const block of file.content) {
    yield async () => {
      const multihash = leafDigest ? createDigest(sha256.code, await leafDigest(block)) : await sha256.digest(block);
      return { cid: CID.createV1(raw.code, multihash), size: BigInt(block.length), block };
    };
  }
}

let importer: Promise<(bytes: Uint8Array) => Promise<string>> | undefined;

/**
 * Loads ipfs-unixfs-importer on first use: about 0.15 s of start-up that a command storing nothing never pays,
 * and that the dataset pipeline spends while its units hash on other threads.
 */
export function loadCidImporter(): Promise<(bytes: Uint8Array) => Promise<string>> {
  importer ??= (async () => {
    const [{ importBytes }, { fixedSize }, { balanced }] = await Promise.all([
      import("ipfs-unixfs-importer"),
      import("ipfs-unixfs-importer/chunker"),
      import("ipfs-unixfs-importer/layout"),
    ]);
    const kubo = {
      cidVersion: 1 as const,
      rawLeaves: true,
      chunker: fixedSize({ chunkSize: 262_144 }),
      layout: balanced({ maxChildrenPerNode: 174 }),
      reduceSingleLeafToSelf: true,
      bufferImporter: rawLeaves,
    };
    return async (bytes: Uint8Array) => (await importBytes(bytes, discard as never, kubo)).cid.toString();
  })();
  return importer;
}

export async function cidOf(bytes: Uint8Array): Promise<string> {
  return (await loadCidImporter())(bytes);
}

/** Validates a CID string and returns its canonical (base32 v1) form; v0 "Qm…" CIDs are accepted and upgraded. */
export function parseCid(value: unknown, what = "CID"): string {
  if (typeof value !== "string" || value.length === 0) throw new InputError("INPUT_INVALID", `${what} is missing`);
  try {
    return CID.parse(value).toV1().toString();
  } catch (e) {
    throw new InputError("INPUT_INVALID", `${what} "${value}" is not a valid CID`, { cause: e });
  }
}

/** A CID as fixed-width bytes (36 for CIDv1 with SHA-256), for the binary shard index. */
export function cidToBytes(cid: string): Uint8Array {
  return CID.parse(cid).bytes;
}

export function cidFromBytes(bytes: Uint8Array): string {
  return CID.decode(bytes).toString();
}
