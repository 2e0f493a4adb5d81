import type { AttestedEvaluation, ModelAttestation } from "../../core/attestor/attestation.ts";
import type { Ancestry } from "../../core/lineage/check-sample.ts";
import type { LineageGraph } from "../../core/lineage/graph.ts";
import type { ResolvedRecord } from "../../core/model/record.ts";

/**
 * What the model page's server part hands its client leaves: the lineage walk flattened to plain data, each
 * node with its named checks (core/lineage/lineage-check.ts), the LineageGraph when every part could be read (for the
 * exports), and the root model's training certificate in readable parts. Pure types, browser-safe.
 */
export interface ViewCheck {
  check: string;
  status: "pass" | "fail" | "skip";
  reason: string;
  code?: string;
}

export interface ViewNode {
  id: `model:${string}` | `dataset:${string}`;
  kind: "model" | "dataset";
  tokenId: string;
  title: string;
  detail: string;
  provenance: "self-declared" | "attested" | null;
  /** An attested model's certificate verdict (core/attestor/attestation.ts); null for others or when unread. */
  attestation: ModelAttestation | null;
  ok: boolean;
  checks: ViewCheck[];
}

export interface ViewEdge {
  from: string;
  to: string;
  type: "parent" | "dataset";
  label: string;
}

export interface CertificateView {
  ok: boolean;
  attestation: ModelAttestation;
  certificateCid: string | null;
  checks: { name: string; ok: boolean; detail: string }[];
  /** Why the EK roots from PROVENANT_EK_ROOTS could not be loaded, if they could not. */
  rootsProblem: string | null;
  rootCount: number;
  attestor: { address: string; tpmKind: string; trustLevel: string; ekCertificateSha256: string } | null;
  /** At the boot+pcr23 levels: the boot policy's name, the quoted boot PCRs and the boot state's id. */
  boot: { policy: string; pcrs: number[]; bootState: string } | null;
  run: { id: string; registrant: string; startedAt: string; finishedAt: string; durationMs: number; exitCode: number; outputLogSha256: string } | null;
  inputs: {
    datasets: { datasetId: string; role: string; root: string; n: number }[];
    parents: { modelId: string; relation: string; weightsDigest: string }[];
    code: { kind: string; digest: string; files: number; gitCommit: string | null };
    command: string[];
    commandDigest: string;
    config: string[];
    environment: string;
  } | null;
  outputs: { weightsDigest: string; manifestCid: string; files: number; license: string } | null;
  /** The event log replayed into PCR 23 from zeros, one extend per event. */
  replay: { step: number; type: string; description: string; digest: string; pcrAfter: string }[];
  replayedPcr: string | null;
}

export interface LineageView {
  root: `model:${string}`;
  chainId: number;
  registries: { dataset: string; model: string };
  ok: boolean;
  summary: { passed: number; failed: number; skipped: number };
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** The full graph, or null when some part could not be read (then `incomplete` says which). */
  graph: LineageGraph | null;
  incomplete: string | null;
  certificate: CertificateView | null;
  /** The datasets behind the model, as "Was this sample used?" checks them (core/lineage/check-sample.ts). */
  ancestry: Ancestry;
  /** The root model's attested evaluations, each with its certificate's verdict (core/attestor/evaluation-results.ts). */
  evaluations: AttestedEvaluation[];
  /** The root model's effective record (its model card), inheritance resolved; null when it could not be read or resolved. */
  rootRecord: ResolvedRecord | null;
}

/** Each named check in plain words: what passing it means. */
const CHECK_WORDS: Record<string, string> = {
  "model.on-chain": "Record and edges read from the ModelRegistry",
  "model.manifest": "Manifest read from storage, its bytes match its CID, and it is valid",
  "model.weights-digest": "The manifest's weight files hash to the weights digest on-chain",
  "model.record": "The model record is valid and its inheritance resolves",
  "model.license": "The record's license is the license on-chain",
  "model.parents-earlier": "Every parent was registered before the model (no cycles)",
  "model.certificate": "The training certificate verifies",
  "model.evaluations": "The model's attested evaluations could be read from the EvaluationRegistry",
  "model.weights-on-disk": "The weights on disk are the registered ones",
  "dataset.on-chain": "Record read from the DatasetRegistry",
  "dataset.order": "No one has proven two of its leaves out of order on-chain (a misordered dataset's exclusion proofs are void)",
  "dataset.manifest": "Manifest read from storage, its bytes match its CID, and it is valid",
  "dataset.root": "The manifest's Merkle root and sample count are the ones on-chain",
  "dataset.shard-index": "The shard index folds to that root",
};

const CERT_WORDS: Record<string, string> = {
  certificateFormat: "The certificate is a well-formed provenant-training-certificate-v1",
  certificateDigest: "The certificate digest is the hash of its contents",
  chain: "It names this chain and these registries",
  attestorRegistered: "The attestor is registered (and not revoked) in the AttestorRegistry",
  trustLevel: "The certificate is at the trust level the attestor's record requires (its boot PCRs, once a boot state was approved)",
  ekChain: "The TPM's endorsement key certificate chains to a trusted root",
  akBound: "The attestation key belongs to that TPM and is the registered one",
  quoteSignature: "The TPM quotes are signed by the attestation key",
  nonce: "The quotes are bound to this run and this certificate",
  eventLog: "The event log records exactly the measured inputs and output",
  pcrReplay: "Replaying the event log gives the PCR value the TPM quoted",
  datasetRoots: "The measured datasets' roots are the roots on-chain",
  parentDigests: "The measured parents' weights digests are the ones on-chain",
  outputDigest: "The measured output is the registered model's weights",
  clock: "The TPM clock is consistent across the run",
  modelRecord: "The registered model record matches the certificate",
  contractVerdict: "The AttestorRegistry contract accepts the certificate",
  bootStateApproved: "The machine's boot state was approved for this attestor by the registry owner, and not withdrawn",
  bootPolicy: "The boot policy is the one the boot state was approved under",
  bootLog: "The boot event log is well-formed",
  bootLogReplay: "Replaying the boot event log gives the boot PCR values the TPM quoted: nothing was measured outside it",
  bootEvents: "Every boot event is one the boot policy expects",
  bootEventData: "Every boot event that is read carries the digest of its contents",
  bootSecureBoot: "Secure Boot was in the state the boot policy requires",
  bootFirmware: "The firmware is one the boot policy allows",
  bootPk: "The platform key is one the boot policy allows",
  bootKek: "The key exchange keys are ones the boot policy allows",
  bootDb: "The signature database (db) holds only keys the boot policy allows",
  bootDbx: "The revocation list (dbx) holds every revocation the boot policy requires",
  bootApplications: "The boot loader (shim, grub) and kernel are ones the boot policy allows",
};

export function checkWords(check: string): string {
  if (check.startsWith("model.evaluation.")) return `Attested evaluation #${check.slice("model.evaluation.".length)}: its evaluation certificate verifies`;
  if (check.startsWith("model.certificate.")) {
    const name = check.slice("model.certificate.".length);
    return `Training certificate: ${(CERT_WORDS[name] ?? name).replace(/^./, (c) => c.toLowerCase())}`;
  }
  return CHECK_WORDS[check] ?? check;
}

export function certificateCheckWords(name: string): string {
  return CERT_WORDS[name] ?? name;
}
