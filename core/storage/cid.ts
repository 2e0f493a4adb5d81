import { importBytes } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import { InputError } from "../errors.ts";

/**
 * The CID Kubo (`ipfs add --cid-version 1`) and Lighthouse give the same bytes: UnixFS, CIDv1,
 * raw leaves, 256 KiB fixed chunks, balanced DAG of at most 174 links per node, a single chunk
 * reduced to its raw leaf. Blocks are discarded: stores keep whole contents keyed by this CID.
 */
export const KUBO_DEFAULTS = {
  cidVersion: 1 as const,
  rawLeaves: true,
  chunker: fixedSize({ chunkSize: 262_144 }),
  layout: balanced({ maxChildrenPerNode: 174 }),
  reduceSingleLeafToSelf: true,
};

const discard = { put: async (cid: CID) => cid };

export async function cidOf(bytes: Uint8Array): Promise<string> {
  const { cid } = await importBytes(bytes, discard as never, KUBO_DEFAULTS);
  return cid.toString();
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
