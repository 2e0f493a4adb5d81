import { parseHex32, toHex, type Hex32 } from "../hex.ts";
import { isTokenId } from "../identifiers.ts";
import { checkVersioned } from "../versioned-json.ts";
import type { LeafProof } from "../merkle/verify.ts";
import type { Proof } from "./prover.ts";

/** provenant-proof-v1 (docs/formats/merkle-v1.md, "Proof files"). */
export const PROOF_FORMAT = "provenant-proof-v1";

export interface LeafProofJson {
  sampleHash: Hex32;
  index: number;
  siblings: Hex32[];
}
export interface InclusionProofJson extends LeafProofJson {
  format: typeof PROOF_FORMAT;
  kind: "inclusion";
  datasetId: string;
  root: Hex32;
  n: number;
}
export interface ExclusionProofJson {
  format: typeof PROOF_FORMAT;
  kind: "exclusion";
  datasetId: string;
  root: Hex32;
  n: number;
  x: Hex32;
  left: LeafProofJson | null;
  right: LeafProofJson | null;
}
export type ProofJson = InclusionProofJson | ExclusionProofJson;

const leafToJson = (p: LeafProof): LeafProofJson => ({
  sampleHash: toHex(p.sampleHash),
  index: p.index,
  siblings: p.siblings.map(toHex),
});

export function proofToJson(p: Proof, datasetId: bigint | string): ProofJson {
  const common = { format: PROOF_FORMAT, datasetId: String(datasetId), root: toHex(p.root), n: p.n } as const;
  return p.kind === "inclusion"
    ? { ...common, kind: "inclusion", ...leafToJson(p) }
    : { ...common, kind: "exclusion", x: toHex(p.x), left: p.left && leafToJson(p.left), right: p.right && leafToJson(p.right) };
}

/** Parses an untrusted proof object; each failure names the field, and `where` names the proof. */
export function proofFromJson(value: unknown, where = "the proof"): { proof: Proof; datasetId: string } {
  const { value: o, bad } = checkVersioned(value, where, PROOF_FORMAT, { code: "PROOF_INVALID" });
  if (!isTokenId(o.datasetId)) throw bad("datasetId must be a decimal token id string");
  const integer = (v: unknown, what: string, min: number) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw bad(`${what} must be an integer >= ${min}`);
    return v;
  };
  const hex = (v: unknown, what: string) => {
    try {
      return parseHex32(v, what);
    } catch {
      throw bad(`${what} must be a 0x-prefixed 32-byte hex string`);
    }
  };
  const leaf = (v: unknown, what: string): LeafProof => {
    if (typeof v !== "object" || v === null) throw bad(`${what} must be an object`);
    const l = v as Record<string, unknown>;
    if (!Array.isArray(l.siblings)) throw bad(`${what}.siblings must be an array`);
    return {
      sampleHash: hex(l.sampleHash, `${what}.sampleHash`),
      index: integer(l.index, `${what}.index`, 0),
      siblings: l.siblings.map((s, i) => hex(s, `${what}.siblings[${i}]`)),
    };
  };
  const root = hex(o.root, "root");
  const n = integer(o.n, "n", 1);
  if (o.kind === "inclusion") {
    return { datasetId: o.datasetId, proof: { kind: "inclusion", root, n, ...leaf(o, "proof") } };
  }
  if (o.kind === "exclusion") {
    const left = o.left === null ? null : leaf(o.left, "left");
    const right = o.right === null ? null : leaf(o.right, "right");
    if (!left && !right) throw bad("an exclusion proof needs a left or a right neighbour");
    return { datasetId: o.datasetId, proof: { kind: "exclusion", root, n, x: hex(o.x, "x"), left, right } };
  }
  throw bad(`kind must be "inclusion" or "exclusion"`);
}
