import { ChainError } from "../errors.ts";
import { checkManifestMatchesRecord, type MintedDatasetState } from "./minted.ts";
import { proofToJson, type ProofJson } from "./proof-file.ts";
import { verifyProof, type DatasetProver, type Proof } from "./prover.ts";

/**
 * Proving a sample in or out of a minted dataset: the one use case behind `provenant prove` and the dataset
 * page's prove panel. Each edge brings its own I/O: the sample hash (a file read by the CLI, a worker in the
 * browser), the prover over its store (the local store, the verifying gateway reader) and the contract (a
 * DatasetRegistryClient over the CLI's node or the app's /api/rpc).
 */

/** The contract's verdict on a proof, as a view call (DatasetRegistryClient.verify). */
export interface ProofVerifier {
  verify(datasetId: bigint, proof: Proof): Promise<boolean>;
}

export interface SampleProof {
  proof: Proof;
  json: ProofJson;
  /** The library's verdict, here. */
  localVerdict: boolean;
  /** The contract's verdict. */
  onChain: boolean;
}

export type ProveStage = "proving" | "checking";

/** The one line for an exclusion asked of a dataset flagged misordered on-chain. */
export function misorderedOnChain(id: bigint): ChainError {
  return new ChainError(
    "DATASET_MISORDERED",
    `dataset #${id} was reported misordered on-chain (two adjacent leaves out of order): it proves no sample absent, and the contract refuses every exclusion proof of it; inclusion proofs still hold`,
  );
}

/**
 * Proves `sampleHash` in (or out of) dataset `record` from its stored commitment, then checks the proof with
 * the library and asks `verifier` for the contract's verdict. Fails closed: a prover whose manifest is not the
 * record's is refused (ROOT_MISMATCH), and so is an exclusion from a dataset flagged misordered on-chain
 * (DATASET_MISORDERED, before the contract is asked). `onStage` says when proving and checking begin.
 */
export async function proveSample(p: {
  record: MintedDatasetState;
  prover: DatasetProver;
  sampleHash: Uint8Array;
  verifier: ProofVerifier;
  onStage?: (stage: ProveStage) => void;
}): Promise<SampleProof> {
  const { record, prover } = p;
  checkManifestMatchesRecord(prover.manifest, record);
  p.onStage?.("proving");
  const proof = await prover.prove(p.sampleHash);
  if (proof.kind === "exclusion" && record.misordered) throw misorderedOnChain(record.id);
  const localVerdict = verifyProof(proof);
  p.onStage?.("checking");
  const onChain = await p.verifier.verify(record.id, proof);
  return { proof, json: proofToJson(proof, record.id), localVerdict, onChain };
}
