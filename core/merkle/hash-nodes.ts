import { createRequire } from "node:module";
import { hash as cryptoHash } from "node:crypto";

/**
 * Hashes consecutive 64-byte nodes into 32-byte parents: `out[i] = SHA-256(input[64i .. 64i+64])`.
 * @chainsafe/hashtree does this with SIMD/SHA-NI about 25x faster than one node:crypto call per node
 * (shared/notes/performance.md); node:crypto is the identical fallback where its prebuilt binary is missing.
 */
export type HashNodesInto = (input: Uint8Array, out: Uint8Array) => void;

function cryptoHashNodesInto(input: Uint8Array, out: Uint8Array): void {
  const count = input.length / 64;
  for (let i = 0; i < count; i++) {
    const digest = cryptoHash("sha256", input.subarray(i * 64, i * 64 + 64), "buffer") as unknown as Buffer;
    out.set(digest, i * 32);
  }
}

function loadHashtree(): HashNodesInto | null {
  if (process.env.PROVENANT_NO_HASHTREE === "1") return null;
  try {
    const require = createRequire(import.meta.url);
    const { hashInto } = require("@chainsafe/hashtree") as { hashInto: HashNodesInto };
    return hashInto;
  } catch {
    return null;
  }
}

const hashtree = loadHashtree();

export const hashNodesBackend: "hashtree" | "node:crypto" = hashtree ? "hashtree" : "node:crypto";

export const hashNodesInto: HashNodesInto = (input, out) => {
  if (input.length % 64 !== 0 || out.length < input.length / 2) {
    throw new RangeError("hashNodesInto: input must be whole 64-byte nodes and out large enough");
  }
  if (input.length === 0) return;
  (hashtree ?? cryptoHashNodesInto)(input, out.length === input.length / 2 ? out : out.subarray(0, input.length / 2));
};

export { cryptoHashNodesInto };
