/**
 * Chain bindings for attestors: AttestorRegistry (register, revoke, read, the certificate check as a call) and
 * the on-chain forms of a training certificate's evidence and lineage. The attested registration of a model is
 * ModelRegistry's (core/chain/model-registry.ts).
 */
import type { ContractRunner } from "ethers";
import type { Address, Hex32 } from "../hex.ts";
import { attestorRegistryAbi } from "./abi.generated.ts";
import { chainError, describeRevert } from "./chain-error.ts";
import { RegistryClient, type TxResult } from "./registry-client.ts";

/** IAttestorRegistry.TpmKind, in enum order. */
export type TpmKindName = "software" | "hardware";
export const TPM_KINDS: readonly TpmKindName[] = ["software", "hardware"];

export type AttestorRegistration = {
  attestor: Address;
  akX: Hex32;
  akY: Hex32;
  /** The 32-byte digest part of the AK's qualified name. */
  akQualifiedName: Hex32;
  ekCertificateHash: Hex32;
  kind: TpmKindName;
};

export type { TxResult };
export { describeRevert };

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
  /** Set by the first boot-state approval: from then on the attestor's quotes must cover an approved boot state. */
  bootStateRequired: boolean;
};

/** AttestorRegistry.bootStateOf, decoded; `approvedAt` 0: never approved. */
export type BootStateFacts = {
  pcrSelect: number;
  approvedAt: number;
  /** 0 while approved. */
  withdrawnAt: number;
  policyDigest: Hex32;
};

/** IAttestorRegistry.TrainingEvidence, as ethers takes it. */
export type TrainingEvidenceStruct = {
  attestor: string;
  certificateDigest: string;
  runId: string;
  codeDigest: string;
  commandDigest: string;
  configDigest: string;
  environmentDigest: string;
  /** The quoted boot PCR values (0x-hex), ascending; empty below the boot+pcr23 levels. */
  bootPcrs: string[];
  attest: string;
  r: string;
  s: string;
};

/** IAttestorRegistry.TrainingLineage, as ethers takes it. */
export type TrainingLineageStruct = {
  modelRegistry: string;
  registrant: string;
  weightsDigest: string;
  datasets: { datasetId: bigint; role: number; root: string }[];
  parents: { modelId: bigint; relation: number; weightsDigest: string }[];
};

/** AttestorRegistry: attestors registered and revoked, and the contract's check of a training certificate. */
export class AttestorRegistryClient extends RegistryClient {
  static readonly contractName = "AttestorRegistry";

  constructor(address: string, runner: ContractRunner, chainId: number) {
    super(address, runner, chainId, attestorRegistryAbi as never);
  }

  async owner(): Promise<string> {
    return this.contract.owner();
  }

  /** The record, or undefined for an address never registered. */
  async attestorOf(attestor: string): Promise<AttestorFacts | undefined> {
    try {
      const r = await this.contract.attestorOf(attestor);
      return {
        akX: r.akX,
        akY: r.akY,
        akQualifiedName: r.akQualifiedName,
        ekCertificateHash: r.ekCertificateHash,
        kind: TPM_KINDS[Number(r.kind)]!,
        registeredAt: Number(r.registeredAt),
        revokedAt: Number(r.revokedAt),
        bootStateRequired: Boolean(r.bootStateRequired),
      };
    } catch (e) {
      const err = e as { revert?: { name: string } };
      if (err.revert?.name === "AttestorRegistryUnknownAttestor") return undefined;
      throw chainError(e, `attestor ${attestor}`);
    }
  }

  async attestorOfQualifiedName(akQualifiedName: string): Promise<string | undefined> {
    const a: string = await this.contract.attestorOfQualifiedName(akQualifiedName);
    return /^0x0{40}$/.test(a) ? undefined : a;
  }

  async register(r: AttestorRegistration): Promise<TxResult> {
    const sent = await this.transact(`register attestor ${r.attestor}`, () => this.contract.register({ ...r, kind: TPM_KINDS.indexOf(r.kind) }));
    return sent.result;
  }

  async revoke(attestor: string): Promise<TxResult> {
    const sent = await this.transact(`revoke attestor ${attestor}`, () => this.contract.revoke(attestor));
    return sent.result;
  }

  /** Approve boot state `bootState` (covering the PCRs of `pcrSelect`, appraised against `policyDigest`) for `attestor`: owner only. */
  async approveBootState(attestor: string, bootState: string, pcrSelect: number, policyDigest: string): Promise<TxResult> {
    try {
      const tx = await this.contract.approveBootState(attestor, bootState, pcrSelect, policyDigest);
      const receipt = await tx.wait();
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
    } catch (e) {
      throw chainError(e, `approve boot state ${bootState} of ${attestor}`);
    }
  }

  async withdrawBootState(attestor: string, bootState: string): Promise<TxResult> {
    try {
      const tx = await this.contract.withdrawBootState(attestor, bootState);
      const receipt = await tx.wait();
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
    } catch (e) {
      throw chainError(e, `withdraw boot state ${bootState} of ${attestor}`);
    }
  }

  /** AttestorRegistry.bootStateOf; approvedAt 0 when never approved. */
  async bootStateOf(attestor: string, bootState: string): Promise<BootStateFacts> {
    try {
      const b = await this.contract.bootStateOf(attestor, bootState);
      return { pcrSelect: Number(b.pcrSelect), approvedAt: Number(b.approvedAt), withdrawnAt: Number(b.withdrawnAt), policyDigest: b.policyDigest };
    } catch (e) {
      throw chainError(e, `boot state ${bootState} of ${attestor}`);
    }
  }

  async requiresBootState(attestor: string): Promise<boolean> {
    return this.contract.requiresBootState(attestor);
  }

  /** The contract's verdict on a lineage and evidence (a call: free). Never throws for a failed check. */
  async checkTrainingCertificate(lineage: TrainingLineageStruct, evidence: TrainingEvidenceStruct): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.contract.checkTrainingCertificate(lineage, evidence);
      return { ok: true, detail: `AttestorRegistry ${this.address} accepts the quote for this lineage` };
    } catch (e) {
      const err = e as { revert?: unknown; code?: string };
      if (!err.revert && (err.code === "ECONNREFUSED" || err.code === "NETWORK_ERROR")) throw chainError(e, "checkTrainingCertificate");
      return { ok: false, detail: `AttestorRegistry refuses: ${describeRevert(e)}` };
    }
  }

  async estimateCheckGas(lineage: TrainingLineageStruct, evidence: TrainingEvidenceStruct): Promise<bigint> {
    return this.contract.checkTrainingCertificate.estimateGas(lineage, evidence);
  }
}
