/**
 * Chain bindings for attested evaluations: EvaluationRegistry (register, read, a model's evaluations, the
 * certificate check as a call) and the on-chain forms of an evaluation certificate's parameters and evidence.
 * What an evaluation certificate is verified against is read in core/attestor/evaluation-results.ts.
 */
import { Contract, type ContractRunner, type Signer } from "ethers";
import { ProvenantError } from "../errors.ts";
import type { Address, Hex32 } from "../hex.ts";
import { attestorRegistryAbi, datasetRegistryAbi, evaluationRegistryAbi, modelRegistryAbi } from "./abi.generated.ts";
import { describeRevert, type TxResult } from "./attestor-registry.ts";
import { chainError, interfaceWithErrorsOf } from "./chain-error.ts";
import type { ChainConnection } from "./connect.ts";
import { contractAddress, liveAddress } from "./addresses.ts";
import { generatedDeployment } from "./generated-deployment.ts";

export type EvaluationRegistration = TxResult & { evaluationId: bigint };

/** IEvaluationRegistry.EvaluationParams, as ethers takes it. */
export type EvaluationParamsStruct = { modelId: bigint; datasetId: bigint; metricsDigest: string };

/** IEvaluationRegistry.EvaluationEvidence, as ethers takes it. */
export type EvaluationEvidenceStruct = {
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

/** IEvaluationRegistry.EvaluationRecord, decoded. */
export type EvaluationRecordFacts = {
  id: string;
  modelId: string;
  datasetId: string;
  metricsDigest: Hex32;
  certificateDigest: Hex32;
  attestor: Address;
  registrant: Address;
  registeredAt: number;
  certificateCid: string;
};

export class EvaluationRegistryClient {
  readonly address: string;
  readonly contract: Contract;
  readonly chainId: number;

  constructor(address: string, runner: ContractRunner, chainId: number) {
    this.address = address;
    this.chainId = chainId;
    // With the errors of the registries it calls: a refused quote decodes as AttestorRegistry's (or TpmQuote's) error.
    this.contract = new Contract(address, interfaceWithErrorsOf(evaluationRegistryAbi, attestorRegistryAbi, modelRegistryAbi, datasetRegistryAbi), runner);
  }

  /** The deployment's EvaluationRegistry (or `address`), refusing an address without code. */
  static async connect(conn: ChainConnection, address?: string): Promise<EvaluationRegistryClient> {
    const at = await liveAddress(conn.provider, conn.chainId, "EvaluationRegistry", evaluationRegistryAddress(conn, address));
    return new EvaluationRegistryClient(at, conn.provider, conn.chainId);
  }

  withSigner(signer: Signer): EvaluationRegistryClient {
    return new EvaluationRegistryClient(this.address, signer, this.chainId);
  }

  /** The registries it is bound to, read from the contract itself. */
  async registries(): Promise<{ modelRegistry: Address; datasetRegistry: Address; attestorRegistry: Address }> {
    const [modelRegistry, datasetRegistry, attestorRegistry] = await Promise.all([
      this.contract.modelRegistry(),
      this.contract.datasetRegistry(),
      this.contract.attestorRegistry(),
    ]);
    return { modelRegistry, datasetRegistry, attestorRegistry };
  }

  /** The record, or undefined for an id never registered. */
  async record(id: bigint | string): Promise<EvaluationRecordFacts | undefined> {
    try {
      const r = await this.contract.evaluationOf(BigInt(id));
      return {
        id: String(id),
        modelId: r.modelId.toString(),
        datasetId: r.datasetId.toString(),
        metricsDigest: r.metricsDigest,
        certificateDigest: r.certificateDigest,
        attestor: r.attestor,
        registrant: r.registrant,
        registeredAt: Number(r.registeredAt),
        certificateCid: r.certificateCid,
      };
    } catch (e) {
      if ((e as { revert?: { name: string } }).revert?.name === "EvaluationRegistryUnknownEvaluation") return undefined;
      throw chainError(e, `evaluation #${id}`);
    }
  }

  /** The ids of model `modelId`'s evaluations, oldest first. */
  async evaluationsOf(modelId: bigint | string): Promise<bigint[]> {
    try {
      return [...(await this.contract.evaluationsOf(BigInt(modelId)))];
    } catch (e) {
      throw chainError(e, `evaluations of model #${modelId}`);
    }
  }

  async evaluationOfCertificate(certificateDigest: string): Promise<bigint | undefined> {
    const id: bigint = await this.contract.evaluationOfCertificate(certificateDigest);
    return id === 0n ? undefined : id;
  }

  /** The contract's verdict (a call: free). Never throws for a refused certificate. */
  async checkEvaluationCertificate(params: EvaluationParamsStruct, evidence: EvaluationEvidenceStruct, registrant: string): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.contract.checkEvaluationCertificate(params, evidence, registrant);
      return { ok: true, detail: `EvaluationRegistry ${this.address} accepts the quote for this model, dataset and metrics` };
    } catch (e) {
      const err = e as { revert?: unknown; code?: string };
      if (!err.revert && (err.code === "ECONNREFUSED" || err.code === "NETWORK_ERROR")) throw chainError(e, "checkEvaluationCertificate");
      return { ok: false, detail: `EvaluationRegistry refuses: ${describeRevert(e)}` };
    }
  }

  /**
   * Register a certified evaluation in one transaction, as `this`'s signer (the certificate's registrant).
   * Preflights with a call, so a refused certificate never costs a transaction: CERTIFICATE_INVALID naming the
   * contract's error.
   */
  async register(
    params: EvaluationParamsStruct,
    evidence: EvaluationEvidenceStruct,
    certificateCid: string,
    options: { onSent?: (txHash: string) => void } = {},
  ): Promise<EvaluationRegistration> {
    let simulated: bigint;
    try {
      simulated = await this.contract.registerEvaluation.staticCall(params, evidence, certificateCid);
    } catch (e) {
      const name = (e as { revert?: { name: string } }).revert?.name;
      if (name && /^(AttestorRegistry|TpmQuote|EvaluationRegistry)/.test(name)) {
        throw new ProvenantError("CERTIFICATE_INVALID", `EvaluationRegistry refuses: ${describeRevert(e)}`, { cause: e });
      }
      throw chainError(e, "registerEvaluation");
    }
    try {
      const tx = await this.contract.registerEvaluation(params, evidence, certificateCid);
      options.onSent?.(tx.hash);
      const receipt = await tx.wait();
      const event = receipt.logs
        .map((l: { topics: string[]; data: string }) => {
          try {
            return this.contract.interface.parseLog(l);
          } catch {
            return null;
          }
        })
        .find((l: { name: string } | null) => l?.name === "EvaluationRegistered");
      return {
        evaluationId: event ? BigInt(event.args.id) : simulated,
        txHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
      };
    } catch (e) {
      throw chainError(e, "registerEvaluation");
    }
  }
}

/** The EvaluationRegistry address of this chain's deployment, or `given`. */
export function evaluationRegistryAddress(conn: ChainConnection, given?: string): string {
  return given ?? contractAddress(conn.deployment ?? generatedDeployment(conn.chainId), "EvaluationRegistry");
}
