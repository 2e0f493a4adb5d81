/**
 * What the chain says about a certificate, read just before it is checked (core/chain/attestor-registry.ts
 * `readCertificateFacts`): the attestor's record, the roots and digests of the inputs, the model record.
 * The checks (certificate-check.ts) do no I/O; these are their only view of the chain.
 */
import type { DatasetRole, ParentRelation } from "../lineage/graph.ts";
import type { TpmKindName } from "./certificate.ts";
import type { Address, Hex32 } from "./pcr-events.ts";

/** AttestorRegistry.attestorOf, decoded. */
export type AttestorFacts = {
  akX: Hex32;
  akY: Hex32;
  /** The 32-byte digest part of the AK's qualified name. */
  akQualifiedName: Hex32;
  ekCertificateHash: Hex32;
  kind: TpmKindName;
  registeredAt: number;
  /** 0 while active. */
  revokedAt: number;
};

export type ModelFacts = {
  id: string;
  weightsDigest: Hex32;
  provenance: "self-declared" | "attested";
  registrant: Address;
  attestor: Address;
  certificateDigest: Hex32;
  certificateCid: string;
  manifestCid: string;
  parents: { modelId: string; relation: ParentRelation }[];
  datasets: { datasetId: string; role: DatasetRole }[];
};

/** What the chain says, read just before verification. */
export type ChainFacts = {
  chainId: number;
  attestorRegistry: Address;
  modelRegistry: Address;
  datasetRegistry: Address;
  /** undefined: the attestor was never registered. */
  attestor: AttestorFacts | undefined;
  /** On-chain roots of the datasets the certificate names (missing key: no such dataset). */
  datasetRoots: Record<string, Hex32>;
  /** On-chain weights digests of the parents the certificate names (missing key: no such model). */
  parentDigests: Record<string, Hex32>;
  /** The registered model; absent before registration (the attestor's own pre-registration check). */
  model?: ModelFacts;
};
