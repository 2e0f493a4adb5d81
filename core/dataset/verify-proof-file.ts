import { ChainError, InputError } from "../errors.ts";
import { toHex } from "../hex.ts";
import type { MintedDatasetState } from "./minted.ts";
import { proofFromJson } from "./proof-file.ts";
import { misorderedOnChain, type ProofVerifier } from "./prove-sample.ts";
import { verifyProof, type Proof } from "./prover.ts";

/** The dataset's on-chain record, as DatasetRegistryClient.record reads it. */
export interface DatasetRecords {
  record(id: bigint): Promise<MintedDatasetState>;
}

/**
 * `provenant verify-proof`: checks a saved provenant-proof-v1 file against the dataset's on-chain record,
 * by the library and by the contract. A proof made for another dataset, root or leaf count is refused.
 */
export async function verifyProofFile(
  registry: DatasetRecords & ProofVerifier,
  datasetId: bigint,
  value: unknown,
): Promise<{ proof: Proof; localVerdict: boolean; onChain: boolean }> {
  const { proof, datasetId: claimed } = proofFromJson(value);
  if (BigInt(claimed) !== datasetId) {
    throw new InputError("PROOF_WRONG_DATASET", `the proof is for dataset #${claimed}, not dataset #${datasetId}`);
  }
  const record = await registry.record(datasetId);
  if (toHex(proof.root) !== record.root.toLowerCase() || proof.n !== record.n) {
    throw new ChainError(
      "PROOF_WRONG_DATASET",
      `the proof was made for root ${toHex(proof.root)} (n=${proof.n}) but dataset #${datasetId} has root ${record.root} (n=${record.n})`,
    );
  }
  if (proof.kind === "exclusion" && record.misordered) throw misorderedOnChain(datasetId);
  return { proof, localVerdict: verifyProof(proof), onChain: await registry.verify(datasetId, proof) };
}
