import { CID } from "multiformats/cid";
import { InputError } from "../errors.ts";

const RAW = 0x55;
const DAG_PB = 0x70;
const SHA2_256 = 0x12;

/**
 * A manifest CID in the binary form the registries store: CIDv1 (a v0 CID is upgraded), codec raw or
 * dag-pb, sha2-256; the registry rebuilds the same base32 text from it. Anything else is refused here, with
 * one line, rather than by the contract.
 */
export function manifestCidBytes(cid: string): Uint8Array {
  const parsed = parseV1(cid);
  if ((parsed.code !== RAW && parsed.code !== DAG_PB) || parsed.multihash.code !== SHA2_256) {
    throw new InputError("INPUT_INVALID", `the manifest CID ${cid} is not a raw or dag-pb CID with a SHA-256 digest, the only kinds the registries keep`);
  }
  return parsed.bytes;
}

function parseV1(cid: string): CID {
  try {
    return CID.parse(cid).toV1();
  } catch (e) {
    throw new InputError("INPUT_INVALID", `the manifest CID "${cid}" is not a valid CID`, { cause: e });
  }
}
